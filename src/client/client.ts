/**
 * ChatClient: the client library in Node. It is ChatClientBase (base.ts, the protocol)
 * over TCP, TLS or WebSocket (transport-node.ts), plus uploading a file from disk.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ChatClientBase } from './base.js';
import type { ClientOptions } from './options.js';
import { type NodeTransportOptions, nodeConnector } from './transport-node.js';

export interface ChatClientOptions extends ClientOptions, NodeTransportOptions {}

export class ChatClient extends ChatClientBase {
  constructor(options: ChatClientOptions) {
    super(options, nodeConnector(options));
  }

  /**
   * Uploads a file to the server's file host with this client's account and password, and
   * returns the link to share (the `Location` of the 201 answer).
   */
  async upload(path: string, contentType = 'application/octet-stream'): Promise<string> {
    const request = this.uploadRequest(basename(path), contentType);
    const body = await readFile(path);
    const res = await fetch(request.url, { method: 'POST', headers: request.headers, body });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`upload refused (${res.status}): ${text.trim()}`);
    const location = res.headers.get('location');
    if (location === null) throw new Error('the server did not say where the file is');
    return location;
  }
}

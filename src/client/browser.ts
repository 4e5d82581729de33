/**
 * The client library for browsers: ChatClientBase over the page's WebSocket, plus
 * uploading a File or Blob with progress (XMLHttpRequest, since fetch reports no upload
 * progress). The web client (web/) imports only this file from src/client; nothing here
 * reaches Node modules.
 */
import { ChatClientBase } from './base.js';
import type { ClientOptions } from './options.js';
import { browserConnector } from './transport-browser.js';

export interface BrowserChatClientOptions extends ClientOptions {
  /** ws:// or wss:// address of the server (see sameOriginWebSocketUrl). */
  url: string;
}

/** Why an upload failed: the HTTP status (0: the network) and the server's explanation. */
export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The part of XMLHttpRequest uploads need (declared here: the root build has no DOM types). */
interface Xhr {
  status: number;
  responseText: string;
  upload: { onprogress: ((ev: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  getResponseHeader(name: string): string | null;
  send(body: unknown): void;
  abort(): void;
}

export interface UploadHandle {
  /** The link to share, once the server has stored the file. */
  done: Promise<string>;
  abort(): void;
}

export class BrowserChatClient extends ChatClientBase {
  constructor(options: BrowserChatClientOptions) {
    super(options, browserConnector(options.url));
  }

  /**
   * Uploads `body` (a File or Blob) as `name`, reporting progress as a fraction 0..1.
   * `sameOrigin` turns the advertised upload URL into the page's own origin, which is where
   * the page's Content-Security-Policy lets it connect when the server is reached by
   * another name than the one it advertises.
   */
  uploadBlob(
    body: { readonly size: number; readonly type: string },
    name: string,
    onProgress: (fraction: number) => void,
    sameOrigin?: string,
  ): UploadHandle {
    const request = this.uploadRequest(name, body.type !== '' ? body.type : 'application/octet-stream');
    const url =
      sameOrigin === undefined ? request.url : new URL(new URL(request.url).pathname, sameOrigin).href;
    const XhrCtor = (globalThis as unknown as { XMLHttpRequest: new () => Xhr }).XMLHttpRequest;
    const xhr = new XhrCtor();
    const done = new Promise<string>((resolve, reject) => {
      xhr.upload.onprogress = (ev) => {
        if (ev.lengthComputable && ev.total > 0) onProgress(ev.loaded / ev.total);
      };
      xhr.onload = () => {
        const location = xhr.getResponseHeader('Location');
        if (xhr.status === 201 && location !== null) resolve(location);
        else reject(new UploadError(xhr.status, xhr.responseText.trim() || `HTTP ${xhr.status}`));
      };
      xhr.onerror = () => reject(new UploadError(0, 'the upload could not reach the server'));
      xhr.onabort = () => reject(new UploadError(0, 'upload cancelled'));
    });
    xhr.open('POST', url);
    for (const [k, v] of Object.entries(request.headers)) xhr.setRequestHeader(k, v);
    xhr.send(body);
    return { done, abort: () => xhr.abort() };
  }
}

export type { ChatClientEvents, ChatMessage, HistoryTarget, NamesEntry, RoomListing } from './events.js';
export { CLIENT_CAPS, type ClientOptions } from './options.js';
export type { OwnSession, SessionList } from './sessions.js';
export { fold, isChannel, splitText } from './text.js';
export { sameOriginWebSocketUrl } from './transport-browser.js';

/**
 * The slice of irc-framework (https://github.com/kiwiirc/irc-framework, CommonJS, no bundled
 * typings) that the interop tests use. Shapes follow its src/client.js, src/networkinfo.js
 * and src/commands/handlers/*.js at version 4.14.
 */
declare module 'irc-framework' {
  import type { EventEmitter } from 'node:events';

  namespace IRC {
    interface ConnectOptions {
      host: string;
      port: number;
      nick: string;
      username?: string;
      gecos?: string;
      tls?: boolean;
      auto_reconnect?: boolean;
      ping_interval?: number;
      ping_timeout?: number;
      enable_echomessage?: boolean;
      enable_chghost?: boolean;
      enable_setname?: boolean;
      /** SASL credentials (PLAIN unless sasl_mechanism says otherwise). */
      account?: { account: string; password: string };
      sasl_mechanism?: string;
    }

    interface MessageEvent {
      nick: string;
      ident: string;
      hostname: string;
      target: string;
      message: string;
      tags: Record<string, string>;
      /** Milliseconds since the epoch from the server-time tag, when there is one. */
      time?: number;
      type?: string;
    }

    interface TagmsgEvent {
      nick: string;
      target: string;
      tags: Record<string, string>;
    }

    interface JoinEvent {
      nick: string;
      ident: string;
      hostname: string;
      channel: string;
      gecos?: string;
      account?: string | false;
      time?: number;
    }

    interface QuitEvent {
      nick: string;
      ident: string;
      hostname: string;
      message: string;
      time?: number;
    }

    interface UserlistEvent {
      channel: string;
      users: Array<{ nick: string; ident: string; hostname: string; modes: string[] }>;
    }

    interface RegisteredEvent {
      nick: string;
    }

    interface ServerOptionsEvent {
      options: Record<string, unknown>;
      cap: string[];
    }

    interface RawEvent {
      line: string;
      from_server: boolean;
    }

    interface NetworkInfo {
      name: string;
      server: string;
      /** ISUPPORT tokens, upper-cased keys; some are parsed (PREFIX, CHANTYPES…). */
      options: Record<string, unknown>;
      cap: {
        enabled: string[];
        available: Map<string, string>;
        isEnabled(name: string): boolean;
      };
      supports(name: string): unknown;
    }

    class Client extends EventEmitter {
      constructor(options?: Partial<ConnectOptions>);
      readonly connected: boolean;
      network: NetworkInfo;
      user: { nick: string; username: string; gecos: string; host: string };
      connect(options: ConnectOptions): void;
      join(channel: string, key?: string): void;
      say(target: string, message: string): void;
      quit(message?: string): void;
      raw(...args: Array<string | number>): void;
      requestCap(cap: string | string[]): void;
    }
  }

  export = IRC;
}

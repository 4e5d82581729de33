/**
 * The narrow interfaces through which the core reaches network-wide state: who owns which
 * nick, and which channels exist. One node uses the in-process implementation
 * (src/cluster/local-directory.ts); several nodes will use a shared one, without the core
 * changing.
 */
import type { Channel } from './channel.js';
import type { User } from './user.js';

export interface NickDirectory {
  /** Claims a folded nick for a user; false when someone else holds it. */
  claimNick(folded: string, user: User): boolean;
  releaseNick(folded: string, user: User): void;
  findUser(folded: string): User | undefined;
  users(): Iterable<User>;
  readonly userCount: number;
}

export interface ChannelDirectory {
  findChannel(folded: string): Channel | undefined;
  addChannel(channel: Channel): void;
  removeChannel(channel: Channel): void;
  channels(): Iterable<Channel>;
  readonly channelCount: number;
}

export type Directory = NickDirectory & ChannelDirectory;

/**
 * The in-process Directory: one node owns every nick and channel. Plain Maps keyed by the
 * case-folded name.
 */
import type { Channel } from '../core/channel.js';
import type { Directory } from '../core/directory.js';
import type { User } from '../core/user.js';

export class LocalDirectory implements Directory {
  protected readonly nicks = new Map<string, User>();
  protected readonly chans = new Map<string, Channel>();

  // A connection stands for its person (core/person.ts): the directory holds people.
  claimNick(folded: string, connection: User): boolean {
    const user = connection.person ?? connection;
    const holder = this.nicks.get(folded);
    if (holder !== undefined && holder !== user) return false;
    this.nicks.set(folded, user);
    return true;
  }

  releaseNick(folded: string, connection: User): void {
    const user = connection.person ?? connection;
    if (this.nicks.get(folded) === user) this.nicks.delete(folded);
  }

  findUser(folded: string): User | undefined {
    return this.nicks.get(folded);
  }

  users(): Iterable<User> {
    return this.nicks.values();
  }

  get userCount(): number {
    return this.nicks.size;
  }

  findChannel(folded: string): Channel | undefined {
    return this.chans.get(folded);
  }

  addChannel(channel: Channel): void {
    this.chans.set(channel.folded, channel);
  }

  removeChannel(channel: Channel): void {
    if (this.chans.get(channel.folded) === channel) this.chans.delete(channel.folded);
  }

  channels(): Iterable<Channel> {
    return this.chans.values();
  }

  get channelCount(): number {
    return this.chans.size;
  }
}

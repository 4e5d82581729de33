/**
 * Profile requests (draft/metadata-2): setting a field of one's own profile and fetching
 * someone's, each settled by the server's METADATA replies as they pass the `raw` event.
 */
import type { IrcMessage } from '../protocol/message.js';
import { PROFILE_KEYS, type Profile, type ProfileField } from './profiles.js';
import type { Receiver } from './receive/context.js';
import { fold } from './text.js';
import { unref } from './timer.js';

/** Sets (or with null or '' clears) a field of one's own profile; see ChatClientBase.setProfile. */
export function setProfile(r: Receiver, field: ProfileField, value: string | null): Promise<void> {
  const key = PROFILE_KEYS[field];
  const clearing = value === null || value === '';
  if (clearing && r.profiles.get(r.client.currentNick)?.[field] === undefined) return Promise.resolve();
  const done = new Promise<void>((resolve, reject) => {
    const onRaw = (m: IrcMessage): void => {
      const ours = m.params[2] === key || (m.command === 'FAIL' && m.params[0] === 'METADATA');
      if (!ours) return;
      if (m.command === '761' || m.command === '766') {
        r.client.off('raw', onRaw);
        resolve();
      } else if (m.command === 'FAIL') {
        r.client.off('raw', onRaw);
        reject(new Error(m.params.at(-1) ?? 'the server refused the change'));
      }
    };
    r.client.on('raw', onRaw);
  });
  if (clearing) r.client.send('METADATA', '*', 'SET', key);
  else r.client.send('METADATA', '*', 'SET', key, value);
  return done;
}

/** Asks for someone's profile (METADATA GET); see ChatClientBase.fetchProfile. */
export function fetchProfile(r: Receiver, nick: string, timeoutMs = 10_000): Promise<Profile> {
  if (!r.client.profilesAvailable) return Promise.resolve({});
  const keys: string[] = Object.values(PROFILE_KEYS);
  return new Promise<Profile>((resolve, reject) => {
    const pending = new Set(keys);
    const finish = (err: Error | null): void => {
      r.client.off('raw', onRaw);
      clearTimeout(timer);
      // The line that completed it is stored once its own handling runs, right after 'raw'.
      if (err === null) queueMicrotask(() => resolve(r.profiles.get(nick) ?? {}));
      else reject(err);
    };
    const onRaw = (m: IrcMessage): void => {
      if ((m.command === '761' || m.command === '766') && fold(m.params[1] ?? '') === fold(nick)) {
        pending.delete(m.params[2] ?? '');
        if (pending.size === 0) finish(null);
      } else if (m.command === 'FAIL' && m.params[0] === 'METADATA' && m.params[1] === 'INVALID_TARGET') {
        finish(new Error(`${nick} is not on the network`));
      }
    };
    const timer = unref(setTimeout(() => finish(new Error('no answer from the server')), timeoutMs));
    r.client.on('raw', onRaw);
    r.client.send('METADATA', nick, 'GET', ...keys);
  });
}

/**
 * The storage suite: every Store method, the migrations and group commit, written once and
 * run against each back end (store.test.ts runs it for SQLite and PostgreSQL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HistoryWriteRefused, HistoryWriter } from '../../src/store/group-commit.js';
import { LATEST_VERSION } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/open.js';
import type {
  AccountRecord,
  RegisteredChannel,
  Store,
  StoredMessage,
  StoredReaction,
  UploadRecord,
} from '../../src/store/store.js';
import { type Backend, type Location, message, msgids } from './helpers.js';

const T = 1_700_000_000_000;

function account(folded: string, over: Partial<AccountRecord> = {}): AccountRecord {
  return {
    name: folded.toUpperCase(),
    folded,
    passwordHash: `scrypt$N=16384,r=8,p=1$c2FsdA$${folded}`,
    scram: null,
    email: null,
    createdAt: T,
    certFingerprints: [],
    ...over,
  };
}

function channel(folded: string, over: Partial<RegisteredChannel> = {}): RegisteredChannel {
  return {
    folded,
    name: folded,
    founder: 'alice',
    registeredAt: T,
    topic: null,
    modes: ['+nt'],
    operators: ['alice'],
    bans: [],
    exceptions: [],
    inviteExceptions: [],
    ...over,
  };
}

/** A deferred promise. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Wraps a store's append so a test decides when each batch runs: `entered[i]` resolves when
 * batch i reaches the store, and batch i goes on only after `release(i)`.
 */
function gatedAppend(store: Store, max = 16) {
  const entered = Array.from({ length: max }, deferred);
  const released = Array.from({ length: max }, deferred);
  const batches: StoredMessage[][] = [];
  return {
    entered: (i: number) => entered[i]!.promise,
    release: (i: number) => released[i]!.resolve(),
    batches,
    target: {
      async append(messages: readonly StoredMessage[]): Promise<void> {
        const i = batches.length;
        batches.push([...messages]);
        entered[i]!.resolve();
        await released[i]!.promise;
        await store.append(messages);
      },
    },
  };
}

/** Settles a promise into 'ok' or its error, for assertions on many writes. */
function outcome(p: Promise<void>): Promise<'ok' | Error> {
  return p.then(
    () => 'ok' as const,
    (err: unknown) => err as Error,
  );
}

export function storeSuite(backend: Backend): void {
  after(() => backend.dispose());

  /** A fresh, empty store for one test, closed after it. */
  async function fresh(t: { after: (fn: () => Promise<void>) => void }): Promise<Store> {
    const store = await backend.open(await backend.location());
    t.after(() => store.close());
    return store;
  }

  describe('history queries', () => {
    let store: Store;
    /** #room: times 0,10,20,20,20,30,40,50,50,60 (+T), appended in two batches. */
    const room: StoredMessage[] = [0, 10, 20, 20, 20, 30, 40, 50, 50, 60].map((dt) =>
      message('#room', T + dt),
    );
    const other: StoredMessage[] = [5, 20, 45].map((dt) => message('#other', T + dt));
    const ids = (...indexes: number[]): string[] => indexes.map((i) => room[i]!.msgid);
    const range = (from: number, to: number): string[] =>
      ids(...Array.from({ length: to - from + 1 }, (_, k) => from + k));

    before(async () => {
      store = await backend.open(await backend.location());
      await store.append([...room.slice(0, 4), other[0]!, other[1]!]);
      await store.append([...room.slice(4), other[2]!]);
    });
    after(() => store.close());

    it('reports its kind and the latest schema version', () => {
      assert.equal(store.kind, backend.name);
      assert.equal(store.schemaVersion, LATEST_VERSION);
    });

    it('latest: the newest N oldest first; everything when N is large; nothing for N <= 0', async () => {
      assert.deepEqual(msgids(await store.latest('#room', 3)), ids(7, 8, 9));
      assert.deepEqual(msgids(await store.latest('#room', 100)), range(0, 9));
      assert.deepEqual(await store.latest('#room', 0), []);
      assert.deepEqual(await store.latest('#room', -5), []);
      assert.deepEqual(await store.latest('#empty', 10), []);
    });

    it('latest after a bound: only messages strictly after it, the newest N of them', async () => {
      assert.deepEqual(msgids(await store.latest('#room', 100, { msgid: room[4]!.msgid })), range(5, 9));
      assert.deepEqual(msgids(await store.latest('#room', 2, { msgid: room[4]!.msgid })), ids(8, 9));
      assert.deepEqual(msgids(await store.latest('#room', 100, { time: T + 20 })), range(5, 9));
      assert.deepEqual(msgids(await store.latest('#room', 100, { time: T + 19 })), range(2, 9));
      assert.deepEqual(await store.latest('#room', 100, { msgid: room[9]!.msgid }), []);
      assert.deepEqual(await store.latest('#room', 100, { msgid: 'no-such-msgid' }), []);
    });

    it('messages on the same millisecond are ordered by insertion (id)', async () => {
      const all = await store.latest('#room', 100);
      assert.deepEqual(
        all.map((m) => m.time - T),
        [0, 10, 20, 20, 20, 30, 40, 50, 50, 60],
      );
      assert.deepEqual(msgids(await store.before('#room', { msgid: room[4]!.msgid }, 2)), ids(2, 3));
      assert.deepEqual(msgids(await store.after('#room', { msgid: room[2]!.msgid }, 2)), ids(3, 4));
      assert.deepEqual(msgids(await store.after('#room', { msgid: room[7]!.msgid }, 1)), ids(8));
    });

    it('before: the newest N strictly before the bound, oldest first', async () => {
      assert.deepEqual(msgids(await store.before('#room', { msgid: room[6]!.msgid }, 3)), ids(3, 4, 5));
      assert.deepEqual(msgids(await store.before('#room', { time: T + 20 }, 10)), ids(0, 1));
      assert.deepEqual(msgids(await store.before('#room', { time: T + 1000 }, 3)), ids(7, 8, 9));
      assert.deepEqual(await store.before('#room', { msgid: room[0]!.msgid }, 10), []);
      assert.deepEqual(await store.before('#room', { time: T }, 10), []);
      assert.deepEqual(await store.before('#room', { msgid: 'no-such-msgid' }, 10), []);
      assert.deepEqual(await store.before('#room', { msgid: room[6]!.msgid }, 0), []);
    });

    it('after: the oldest N strictly after the bound', async () => {
      assert.deepEqual(msgids(await store.after('#room', { msgid: room[2]!.msgid }, 4)), ids(3, 4, 5, 6));
      assert.deepEqual(msgids(await store.after('#room', { time: T + 20 }, 2)), ids(5, 6));
      assert.deepEqual(msgids(await store.after('#room', { time: T + 50 }, 10)), ids(9));
      assert.deepEqual(msgids(await store.after('#room', { time: T - 1 }, 2)), ids(0, 1));
      assert.deepEqual(await store.after('#room', { msgid: room[9]!.msgid }, 10), []);
      assert.deepEqual(await store.after('#room', { msgid: 'no-such-msgid' }, 10), []);
    });

    it('around a msgid: the message in the middle, odd and even limits', async () => {
      const centre = { msgid: room[4]!.msgid };
      assert.deepEqual(msgids(await store.around('#room', centre, 5)), range(2, 6));
      assert.deepEqual(msgids(await store.around('#room', centre, 3)), range(3, 5));
      assert.deepEqual(msgids(await store.around('#room', centre, 4)), range(2, 5));
      assert.deepEqual(msgids(await store.around('#room', centre, 1)), ids(4));
      assert.deepEqual(msgids(await store.around('#room', centre, 100)), range(0, 9));
      assert.deepEqual(await store.around('#room', centre, 0), []);
    });

    it('around near either end fills the page from the other side', async () => {
      assert.deepEqual(msgids(await store.around('#room', { msgid: room[0]!.msgid }, 5)), range(0, 4));
      assert.deepEqual(msgids(await store.around('#room', { msgid: room[9]!.msgid }, 5)), range(5, 9));
      assert.deepEqual(msgids(await store.around('#room', { msgid: room[1]!.msgid }, 7)), range(0, 6));
    });

    it('around a time: half before it, the rest from it on', async () => {
      assert.deepEqual(msgids(await store.around('#room', { time: T + 20 }, 4)), range(0, 3));
      assert.deepEqual(msgids(await store.around('#room', { time: T + 20 }, 3)), range(1, 3));
      assert.deepEqual(msgids(await store.around('#room', { time: T + 25 }, 2)), ids(4, 5));
      assert.deepEqual(msgids(await store.around('#room', { time: T + 1000 }, 3)), ids(7, 8, 9));
      assert.deepEqual(await store.around('#room', { msgid: 'no-such-msgid' }, 5), []);
    });

    it('between two msgids, in either order; a later first bound returns the newest N', async () => {
      const a = { msgid: room[1]!.msgid };
      const b = { msgid: room[6]!.msgid };
      assert.deepEqual(msgids(await store.between('#room', a, b, 100)), range(2, 5));
      assert.deepEqual(msgids(await store.between('#room', b, a, 100)), range(2, 5));
      assert.deepEqual(msgids(await store.between('#room', a, b, 2)), ids(2, 3));
      assert.deepEqual(msgids(await store.between('#room', b, a, 2)), ids(4, 5));
      assert.deepEqual(await store.between('#room', a, a, 10), []);
      assert.deepEqual(await store.between('#room', a, { msgid: room[2]!.msgid }, 10), []);
    });

    it('between times (exclusive) and mixed bounds', async () => {
      assert.deepEqual(
        msgids(await store.between('#room', { time: T + 10 }, { time: T + 50 }, 100)),
        range(2, 6),
      );
      assert.deepEqual(
        msgids(await store.between('#room', { time: T + 50 }, { time: T + 10 }, 2)),
        ids(5, 6),
      );
      assert.deepEqual(
        msgids(await store.between('#room', { time: T + 10 }, { time: T + 50 }, 2)),
        ids(2, 3),
      );
      assert.deepEqual(
        msgids(await store.between('#room', { msgid: room[3]!.msgid }, { time: T + 50 }, 100)),
        ids(4, 5, 6),
      );
      assert.deepEqual(
        msgids(await store.between('#room', { time: T + 50 }, { msgid: room[3]!.msgid }, 100)),
        ids(4, 5, 6),
      );
      assert.deepEqual(await store.between('#room', { time: T + 20 }, { time: T + 20 }, 10), []);
      assert.deepEqual(await store.between('#room', { time: T + 20 }, { msgid: room[3]!.msgid }, 10), []);
      assert.deepEqual(await store.between('#room', { time: T }, { msgid: 'no-such-msgid' }, 10), []);
      assert.deepEqual(await store.between('#room', { time: T }, { time: T + 100 }, 0), []);
    });

    it('a msgid from another conversation is not a bound here', async () => {
      const foreign = { msgid: other[1]!.msgid };
      assert.deepEqual(await store.before('#room', foreign, 10), []);
      assert.deepEqual(await store.after('#room', foreign, 10), []);
      assert.deepEqual(await store.around('#room', foreign, 10), []);
      assert.deepEqual(await store.latest('#room', 10, foreign), []);
      assert.deepEqual(await store.between('#room', foreign, { time: T + 100 }, 10), []);
      assert.deepEqual(msgids(await store.latest('#other', 10)), msgids(other));
    });

    it('findMessage returns the stored message or null', async () => {
      assert.deepEqual(await store.findMessage(room[3]!.msgid), room[3]);
      assert.deepEqual(await store.findMessage(other[2]!.msgid), other[2]);
      assert.equal(await store.findMessage('no-such-msgid'), null);
    });
  });

  describe('append', () => {
    it('round-trips every field: TAGMSG without text, client tags, NOTICE, no account', async (t) => {
      const store = await fresh(t);
      const tagmsg = message('#r', T, {
        command: 'TAGMSG',
        text: null,
        clientTags: { '+typing': 'active', '+draft/reply': 'abc', '+example.com/x': 'a;b c\\' },
      });
      const notice = message('#r', T + 1, {
        command: 'NOTICE',
        senderAccount: null,
        text: 'héllo ☕ \u0001ACTION\u0001',
      });
      const dm = message('dm:a:alice g:Zx9', T + 2, { target: 'Bob' });
      await store.append([tagmsg, notice, dm]);
      assert.deepEqual(await store.latest('#r', 10), [tagmsg, notice]);
      assert.deepEqual(await store.findMessage(dm.msgid), dm);
    });

    it('an empty batch is a no-op', async (t) => {
      const store = await fresh(t);
      await store.append([]);
      assert.deepEqual(await store.latest('#r', 10), []);
    });

    it('keeps order across batches', async (t) => {
      const store = await fresh(t);
      const written: StoredMessage[] = [];
      for (let batch = 0; batch < 5; batch++) {
        const ms = Array.from({ length: 7 }, () => message('#r', T));
        written.push(...ms);
        await store.append(ms);
      }
      assert.deepEqual(msgids(await store.latest('#r', 100)), msgids(written));
    });

    it('a batch with a duplicate msgid fails whole: none of it is stored', async (t) => {
      const store = await fresh(t);
      const first = message('#r', T);
      await store.append([first]);
      const fine = message('#r', T + 1);
      const dup = message('#r', T + 2, { msgid: first.msgid });
      await assert.rejects(store.append([fine, dup]));
      assert.equal(await store.findMessage(fine.msgid), null);
      assert.deepEqual(msgids(await store.latest('#r', 10)), [first.msgid]);
      assert.deepEqual(await store.conversations(null, ['#r'], 0, T + 100, 10), [
        { conversation: '#r', target: '#r', latest: T },
      ]);
    });
  });

  describe('conversations (TARGETS)', () => {
    let store: Store;
    before(async () => {
      store = await backend.open(await backend.location());
      await store.append([
        message('#a', T + 100),
        message('#a', T + 90),
        message('#b', T + 200),
        message('#c', T + 300),
        message('dm:a:alice a:bob', T + 150, { target: 'bob' }),
        message('dm:a:bob a:carol', T + 250, { target: 'carol' }),
        message('dm:a:bobby a:carol', T + 260, { target: 'carol' }),
        message('dm:a:alice g:tok1', T + 170, { target: 'guest' }),
        message('dm:a:bob_x a:zed', T + 180, { target: 'zed' }),
      ]);
    });
    after(() => store.close());

    const keys = (rows: Array<{ conversation: string }>): string[] => rows.map((r) => r.conversation);

    it('rooms from the list and the DMs of the identity, ordered by latest message', async () => {
      assert.deepEqual(await store.conversations('a:alice', ['#a', '#b'], T, T + 1000, 10), [
        { conversation: '#a', target: '#a', latest: T + 100 },
        { conversation: 'dm:a:alice a:bob', target: 'bob', latest: T + 150 },
        { conversation: 'dm:a:alice g:tok1', target: 'guest', latest: T + 170 },
        { conversation: '#b', target: '#b', latest: T + 200 },
      ]);
    });

    it("never lists someone else's DMs: whole identities only, DM keys in the room list ignored", async () => {
      assert.deepEqual(keys(await store.conversations('a:bob', [], T, T + 1000, 10)), [
        'dm:a:alice a:bob',
        'dm:a:bob a:carol',
      ]);
      assert.deepEqual(
        keys(
          await store.conversations('a:bob', ['dm:a:alice g:tok1', 'dm:a:bobby a:carol'], T, T + 1000, 10),
        ),
        ['dm:a:alice a:bob', 'dm:a:bob a:carol'],
      );
      assert.deepEqual(keys(await store.conversations('a:bo', [], T, T + 1000, 10)), []);
      assert.deepEqual(keys(await store.conversations('a:bob_', [], T, T + 1000, 10)), []);
      assert.deepEqual(keys(await store.conversations('g:tok1', [], T, T + 1000, 10)), ['dm:a:alice g:tok1']);
      assert.deepEqual(
        keys(await store.conversations(null, ['#a', '#c', 'dm:a:alice a:bob'], T, T + 1000, 10)),
        ['#a', '#c'],
      );
      assert.deepEqual(await store.conversations('a:nobody', ['#none'], T, T + 1000, 10), []);
    });

    it('the window is exclusive at both ends and goes by the latest message', async () => {
      assert.deepEqual(keys(await store.conversations('a:alice', ['#a', '#b'], T + 100, T + 200, 10)), [
        'dm:a:alice a:bob',
        'dm:a:alice g:tok1',
      ]);
      // #a has a message at +90 but its latest is +100: outside (0, +95).
      assert.deepEqual(keys(await store.conversations('a:alice', ['#a'], T, T + 95, 10)), []);
    });

    it('limits: the earliest N for a forward window, the newest N (still ascending) for a reversed one', async () => {
      assert.deepEqual(keys(await store.conversations('a:alice', ['#a', '#b'], T, T + 1000, 2)), [
        '#a',
        'dm:a:alice a:bob',
      ]);
      assert.deepEqual(keys(await store.conversations('a:alice', ['#a', '#b'], T + 1000, T, 2)), [
        'dm:a:alice g:tok1',
        '#b',
      ]);
      assert.deepEqual(await store.conversations('a:alice', ['#a'], T, T + 1000, 0), []);
    });

    it('follows new messages: latest time and target spelling; an older message changes neither', async () => {
      const s = await backend.open(await backend.location());
      try {
        await s.append([message('#x', T + 100, { target: '#x' })]);
        await s.append([message('#x', T + 500, { target: '#X' }), message('#x', T + 400, { target: '#xx' })]);
        assert.deepEqual(await s.conversations(null, ['#x'], 0, T + 1000, 10), [
          { conversation: '#x', target: '#X', latest: T + 500 },
        ]);
        await s.append([message('#x', T + 50, { target: '#old' })]);
        assert.deepEqual(await s.conversations(null, ['#x'], 0, T + 1000, 10), [
          { conversation: '#x', target: '#X', latest: T + 500 },
        ]);
      } finally {
        await s.close();
      }
    });
  });

  describe('prune', () => {
    it('deletes messages older than the time, and conversations left without any', async (t) => {
      const store = await fresh(t);
      const old = [message('#a', T), message('#a', T + 10), message('dm:a:x a:y', T + 5)];
      const kept = [message('#a', T + 100), message('#b', T + 99), message('#b', T + 101)];
      await store.append([...old, ...kept]);
      assert.equal(await store.prune(T + 100), 4);
      assert.deepEqual(msgids(await store.latest('#a', 10)), [kept[0]!.msgid]);
      assert.deepEqual(msgids(await store.latest('#b', 10)), [kept[2]!.msgid]);
      assert.deepEqual(await store.latest('dm:a:x a:y', 10), []);
      assert.equal(await store.findMessage(old[0]!.msgid), null);
      assert.deepEqual(await store.conversations('a:x', ['#a', '#b'], 0, T + 1000, 10), [
        { conversation: '#a', target: '#a', latest: T + 100 },
        { conversation: '#b', target: '#b', latest: T + 101 },
      ]);
      assert.equal(await store.prune(T + 100), 0);
      // The DM comes back when someone writes in it again.
      await store.append([message('dm:a:x a:y', T + 200)]);
      assert.deepEqual(
        (await store.conversations('a:y', [], 0, T + 1000, 10)).map((c) => c.conversation),
        ['dm:a:x a:y'],
      );
    });

    it('prunes more than one chunk', async (t) => {
      const store = await fresh(t);
      const total = 12_003;
      for (let i = 0; i < total; i += 2000) {
        await store.append(
          Array.from({ length: Math.min(2000, total - i) }, (_, k) => message(`#r${(i + k) % 3}`, T + i + k)),
        );
      }
      const last = message('#r0', T + total + 10);
      await store.append([last]);
      assert.equal(await store.prune(T + total), total);
      assert.deepEqual(msgids(await store.latest('#r0', 10)), [last.msgid]);
      assert.deepEqual(await store.latest('#r1', 10), []);
    });
  });

  describe('accounts', () => {
    it('creates once: a second account with the same folded name is refused', async (t) => {
      const store = await fresh(t);
      const alice = account('alice', { certFingerprints: ['aa11', 'bb22'] });
      assert.equal(await store.createAccount(alice), true);
      assert.equal(
        await store.createAccount(account('alice', { name: 'Alice2', certFingerprints: ['cc33'] })),
        false,
      );
      assert.deepEqual(await store.getAccount('alice'), alice);
      assert.equal(await store.findAccountByCert('cc33'), null);
      assert.equal(await store.getAccount('bob'), null);
    });

    it('stores SCRAM credentials and email', async (t) => {
      const store = await fresh(t);
      const bob = account('bob', {
        name: 'Bob',
        email: 'bob@example.org',
        scram: { salt: 'c2FsdA==', iterations: 4096, storedKey: 'c3Q=', serverKey: 'c2s=' },
      });
      await store.createAccount(bob);
      assert.deepEqual(await store.getAccount('bob'), bob);
    });

    it('finds an account by certificate fingerprint', async (t) => {
      const store = await fresh(t);
      const alice = account('alice', { certFingerprints: ['aa11'] });
      const bob = account('bob', { certFingerprints: ['bb22', 'cc33'] });
      await store.createAccount(alice);
      await store.createAccount(bob);
      assert.deepEqual(await store.findAccountByCert('cc33'), bob);
      assert.deepEqual(await store.findAccountByCert('aa11'), alice);
      assert.equal(await store.findAccountByCert('ff00'), null);
    });

    it('a certificate already bound to another account makes createAccount fail whole', async (t) => {
      const store = await fresh(t);
      await store.createAccount(account('alice', { certFingerprints: ['aa11'] }));
      await assert.rejects(store.createAccount(account('mallory', { certFingerprints: ['aa11'] })));
      assert.equal(await store.getAccount('mallory'), null);
      assert.equal((await store.findAccountByCert('aa11'))?.folded, 'alice');
    });

    it('updates every field and replaces the certificate list; updating a missing account does nothing', async (t) => {
      const store = await fresh(t);
      await store.createAccount(account('alice', { certFingerprints: ['aa11', 'bb22'] }));
      const changed = account('alice', {
        name: 'ALICE',
        passwordHash: 'scrypt$new',
        email: 'a@example.org',
        scram: { salt: 's', iterations: 8192, storedKey: 'k1', serverKey: 'k2' },
        certFingerprints: ['bb22', 'dd44'],
      });
      await store.updateAccount(changed);
      assert.deepEqual(await store.getAccount('alice'), changed);
      assert.equal(await store.findAccountByCert('aa11'), null);
      assert.equal((await store.findAccountByCert('dd44'))?.folded, 'alice');
      await store.updateAccount({ ...changed, scram: null, email: null, certFingerprints: [] });
      assert.deepEqual(await store.getAccount('alice'), {
        ...changed,
        scram: null,
        email: null,
        certFingerprints: [],
      });
      await store.updateAccount(account('ghost', { certFingerprints: ['ee55'] }));
      assert.equal(await store.getAccount('ghost'), null);
      assert.equal(await store.findAccountByCert('ee55'), null);
    });
  });

  describe('channels', () => {
    it('registers once, reads back, updates, lists in key order and drops', async (t) => {
      const store = await fresh(t);
      const lobby = channel('#lobby', { name: '#Lobby' });
      assert.equal(await store.registerChannel(lobby), true);
      assert.equal(await store.registerChannel(channel('#lobby', { founder: 'mallory' })), false);
      assert.deepEqual(await store.getChannel('#lobby'), lobby);
      assert.equal(await store.getChannel('#nowhere'), null);

      const updated: RegisteredChannel = {
        ...lobby,
        topic: { text: 'Welcome ☕', setBy: 'alice!a@h', setAt: T + 5 },
        modes: ['+ntkl', 'sekrit', '20'],
        operators: ['alice', 'bob'],
        bans: [{ mask: '*!*@bad.example', setBy: 'alice', setAt: T + 6 }],
        exceptions: [{ mask: 'friend!*@bad.example', setBy: 'alice', setAt: T + 7 }],
        inviteExceptions: [{ mask: 'a:bob', setBy: 'alice', setAt: T + 8 }],
      };
      await store.updateChannel(updated);
      assert.deepEqual(await store.getChannel('#lobby'), updated);

      const dev = channel('#dev');
      await store.registerChannel(dev);
      await store.registerChannel(channel('#zeta'));
      assert.deepEqual(
        (await store.listChannels()).map((c) => c.folded),
        ['#dev', '#lobby', '#zeta'],
      );
      assert.deepEqual((await store.listChannels())[1], updated);

      await store.dropChannel('#lobby');
      assert.equal(await store.getChannel('#lobby'), null);
      await store.dropChannel('#lobby');
      // Updating a dropped channel does not bring it back.
      await store.updateChannel(updated);
      assert.equal(await store.getChannel('#lobby'), null);
      assert.deepEqual(
        (await store.listChannels()).map((c) => c.folded),
        ['#dev', '#zeta'],
      );
      assert.equal(await store.registerChannel(lobby), true);
    });

    it('lists nothing when nothing is registered', async (t) => {
      const store = await fresh(t);
      assert.deepEqual(await store.listChannels(), []);
    });
  });

  describe('read markers', () => {
    it('only move forward, per account and target', async (t) => {
      const store = await fresh(t);
      assert.equal(await store.getReadMarker('alice', '#lobby'), null);
      assert.equal(await store.setReadMarker('alice', '#lobby', T + 100), T + 100);
      assert.equal(await store.setReadMarker('alice', '#lobby', T + 50), T + 100);
      assert.equal(await store.setReadMarker('alice', '#lobby', T + 100), T + 100);
      assert.equal(await store.getReadMarker('alice', '#lobby'), T + 100);
      assert.equal(await store.setReadMarker('alice', '#lobby', T + 200), T + 200);
      assert.equal(await store.getReadMarker('alice', '#lobby'), T + 200);
      assert.equal(await store.getReadMarker('alice', 'bob'), null);
      assert.equal(await store.getReadMarker('bob', '#lobby'), null);
      assert.equal(await store.setReadMarker('bob', '#lobby', T + 1), T + 1);
      assert.equal(await store.getReadMarker('alice', '#lobby'), T + 200);
    });

    it('concurrent updates keep the highest', async (t) => {
      const store = await fresh(t);
      const times = [5, 3, 9, 1, 7, 2, 8].map((d) => T + d);
      await Promise.all(times.map((time) => store.setReadMarker('alice', '#x', time)));
      assert.equal(await store.getReadMarker('alice', '#x'), T + 9);
    });
  });

  describe('metadata (draft/metadata-2, migration 11)', () => {
    it('sets, replaces and deletes keys per target, lists them sorted by key, and clears one target only', async (t) => {
      const store = await fresh(t);
      assert.deepEqual(await store.getMetadata('a:alice'), []);
      await store.setMetadata('a:alice', 'status', 'out for lunch');
      await store.setMetadata('a:alice', 'display-name', 'Alice Liddell');
      await store.setMetadata('a:alice', 'avatar', 'https://example.test/u/abc');
      await store.setMetadata('c:#lobby', 'display-name', 'The Lobby');
      assert.deepEqual(await store.getMetadata('a:alice'), [
        ['avatar', 'https://example.test/u/abc'],
        ['display-name', 'Alice Liddell'],
        ['status', 'out for lunch'],
      ]);
      await store.setMetadata('a:alice', 'status', 'back 🙂'); // replaced, UTF-8 kept
      await store.setMetadata('a:alice', 'avatar', null);
      await store.setMetadata('a:alice', 'no-such-key', null); // deleting an unset key is a no-op
      await store.setMetadata('a:alice', 'empty', ''); // an empty value is a value
      assert.deepEqual(await store.getMetadata('a:alice'), [
        ['display-name', 'Alice Liddell'],
        ['empty', ''],
        ['status', 'back 🙂'],
      ]);
      await store.clearMetadata('a:alice');
      assert.deepEqual(await store.getMetadata('a:alice'), []);
      assert.deepEqual(await store.getMetadata('c:#lobby'), [['display-name', 'The Lobby']]);
    });

    it('reads every target with a prefix in one call, sorted by target then key (the accounts, not the rooms)', async (t) => {
      const store = await fresh(t);
      await store.setMetadata('a:zoe', 'status', 'aquí');
      await store.setMetadata('a:bob', 'status', 'fuera');
      await store.setMetadata('a:bob', 'display-name', 'Roberto');
      await store.setMetadata('c:#lobby', 'display-name', 'The Lobby');
      await store.setMetadata('b:not-an-account', 'x', 'y');
      assert.deepEqual(await store.metadataWithPrefix('a:'), [
        ['a:bob', 'display-name', 'Roberto'],
        ['a:bob', 'status', 'fuera'],
        ['a:zoe', 'status', 'aquí'],
      ]);
      assert.deepEqual(await store.metadataWithPrefix('c:'), [['c:#lobby', 'display-name', 'The Lobby']]);
    });

    it('keeps what was set when the store is opened again', async () => {
      const location = await backend.location();
      const first = await backend.open(location);
      await first.setMetadata('a:bob', 'display-name', 'Roberto');
      await first.close();
      const second = await backend.open(location);
      try {
        assert.deepEqual(await second.getMetadata('a:bob'), [['display-name', 'Roberto']]);
      } finally {
        await second.close();
      }
    });
  });

  describe('always-on memberships (migration 8)', () => {
    it('stores rooms per account, once each, forgets a part, and loads everything in one call', async (t) => {
      const store = await fresh(t);
      for (const a of ['alice', 'bob', 'carol']) await store.createAccount(account(a));
      assert.deepEqual(await store.loadAlwaysOn(), []);
      await store.addMembership('alice', 'Alice', '#a', '#A');
      await store.addMembership('alice', 'Alice', '#a', '#A'); // a second JOIN changes nothing
      await store.addMembership('alice', 'alicia', '#b', '#b');
      await store.addMembership('bob', 'bob', '#a', '#A');
      await store.removeMembership('bob', '#a');
      await store.removeMembership('bob', '#never'); // not there: a no-op
      await store.setAlwaysOn('carol', 'carol', true); // offline in no room
      const all = await store.loadAlwaysOn();
      assert.deepEqual(
        all
          .map((r) => ({ ...r, rooms: [...r.rooms].sort() }))
          .sort((x, y) => x.account.localeCompare(y.account)),
        [
          {
            account: 'alice',
            name: 'ALICE',
            nick: 'alicia',
            enabled: true,
            rooms: ['#A', '#b'],
            offlineAt: null,
          },
          { account: 'bob', name: 'BOB', nick: 'bob', enabled: true, rooms: [], offlineAt: null },
          { account: 'carol', name: 'CAROL', nick: 'carol', enabled: true, rooms: [], offlineAt: null },
        ],
      );
    });

    it('turning it off forgets the rooms and is kept; a later join does not turn it back on', async (t) => {
      const store = await fresh(t);
      await store.createAccount(account('alice'));
      await store.addMembership('alice', 'alice', '#a', '#a');
      await store.setAlwaysOn('alice', 'alice', false);
      assert.deepEqual(await store.loadAlwaysOn(), [
        { account: 'alice', name: 'ALICE', nick: 'alice', enabled: false, rooms: [], offlineAt: null },
      ]);
      await store.addMembership('alice', 'alice', '#b', '#b');
      assert.equal((await store.loadAlwaysOn())[0]!.enabled, false);
      await store.setAlwaysOn('alice', 'alice', true);
      assert.equal((await store.loadAlwaysOn())[0]!.enabled, true);
    });

    it('the time the last connection closed is kept with the nick (migration 12), the rooms untouched', async (t) => {
      const store = await fresh(t);
      await store.createAccount(account('alice'));
      await store.addMembership('alice', 'alice', '#a', '#a');
      const time = 1_796_000_000_123; // past 2^32: BIGINT on PostgreSQL
      await store.wentOffline('alice', 'alicia', time);
      assert.deepEqual(await store.loadAlwaysOn(), [
        { account: 'alice', name: 'ALICE', nick: 'alicia', enabled: true, rooms: ['#a'], offlineAt: time },
      ]);
    });

    it('a nick change is kept at once for a stored account, and is a no-op for one with nothing stored', async (t) => {
      const store = await fresh(t);
      for (const a of ['alice', 'bob']) await store.createAccount(account(a));
      await store.addMembership('alice', 'alice', '#a', '#a');
      await store.nickChanged('alice', 'alicia');
      await store.nickChanged('bob', 'bobby');
      assert.deepEqual(await store.loadAlwaysOn(), [
        { account: 'alice', name: 'ALICE', nick: 'alicia', enabled: true, rooms: ['#a'], offlineAt: null },
      ]);
    });

    it("a RENAME moves every account's membership of the room to the new name, and only that room", async (t) => {
      const store = await fresh(t);
      for (const a of ['alice', 'bob']) await store.createAccount(account(a));
      await store.addMembership('alice', 'alice', '#old', '#Old');
      await store.addMembership('alice', 'alice', '#other', '#other');
      await store.addMembership('bob', 'bob', '#old', '#Old');
      await store.renameMemberships('#old', '#new', '#New');
      const rooms = (await store.loadAlwaysOn())
        .map((r) => [r.account, [...r.rooms].sort()] as const)
        .sort((x, y) => x[0].localeCompare(y[0]));
      assert.deepEqual(rooms, [
        ['alice', ['#New', '#other']],
        ['bob', ['#New']],
      ]);
      await store.renameMemberships('#new', '#new', '#NEW'); // a change of case only
      assert.deepEqual((await store.loadAlwaysOn()).find((r) => r.account === 'bob')!.rooms, ['#NEW']);
    });

    it('refuses rows for an account that does not exist', async (t) => {
      const store = await fresh(t);
      await assert.rejects(store.addMembership('ghost', 'ghost', '#a', '#a'));
      assert.deepEqual(await store.loadAlwaysOn(), []);
    });
  });

  describe('uploads', () => {
    const upload = (id: string, over: Partial<UploadRecord> = {}): UploadRecord => ({
      id,
      sha256: 'ab'.repeat(32),
      size: 1000,
      name: 'photo.png',
      contentType: 'image/png',
      account: 'alice',
      createdAt: T,
      ...over,
    });

    it('stores metadata and reads it back by id', async (t) => {
      const store = await fresh(t);
      assert.equal(await store.getUpload('nope'), null);
      const a = upload('id-a', { name: 'résumé ../../x "q".pdf', contentType: 'application/pdf', size: 5 });
      await store.addUpload(a);
      assert.deepEqual(await store.getUpload('id-a'), a);
      await assert.rejects(store.addUpload(upload('id-a')));
      assert.deepEqual(await store.getUpload('id-a'), a);
    });

    it('sums bytes per account, the same content counted per upload', async (t) => {
      const store = await fresh(t);
      assert.equal(await store.uploadBytesByAccount('alice'), 0);
      await store.addUpload(upload('1', { size: 3_000_000_000 }));
      await store.addUpload(upload('2', { size: 7 }));
      await store.addUpload(upload('3', { size: 11, account: 'bob' }));
      assert.equal(await store.uploadBytesByAccount('alice'), 3_000_000_007);
      assert.equal(await store.uploadBytesByAccount('bob'), 11);
      assert.equal(await store.uploadBytesByAccount('carol'), 0);
      assert.equal((await store.getUpload('1'))?.size, 3_000_000_000);
    });
  });

  describe('close', () => {
    it('is idempotent, and the store refuses calls afterwards', async () => {
      const store = await backend.open(await backend.location());
      await store.close();
      await store.close();
      await assert.rejects(store.latest('#r', 10), /closed/);
      await assert.rejects(store.append([message('#r', T)]), /closed/);
    });
  });

  describe('reactions and redactions', () => {
    function reaction(to: StoredMessage, identity: string, emoji: string, time: number): StoredReaction {
      return {
        message: message(to.conversation, time, {
          command: 'TAGMSG',
          text: null,
          clientTags: { '+draft/react': emoji, '+draft/reply': to.msgid },
        }),
        to: to.msgid,
        identity,
        emoji,
      };
    }

    it('one reaction per identity and emoji; unreact removes it; replay by message', async () => {
      const store = await backend.open(await backend.location());
      try {
        const a = message('#r', T);
        const b = message('#r', T + 1);
        await store.append([a, b]);
        const first = reaction(a, 'a:alice', '👍', T + 2);
        assert.equal(await store.addReaction(first), 'added');
        assert.equal(await store.addReaction(reaction(a, 'a:alice', '👍', T + 3)), 'duplicate');
        assert.equal(await store.addReaction(reaction(a, 'g:guest', '👍', T + 4)), 'added');
        assert.equal(await store.addReaction(reaction(b, 'a:alice', '🎉', T + 5)), 'added');
        // Another conversation's message, or one never stored, cannot be reacted to.
        assert.equal(
          await store.addReaction({ ...reaction(a, 'a:bob', '👍', T + 6), to: 'nope' }),
          'unknown',
        );
        const elsewhere = message('#other', T);
        await store.append([elsewhere]);
        const cross = reaction(elsewhere, 'a:bob', '👍', T + 7);
        cross.message.conversation = '#r';
        assert.equal(await store.addReaction(cross), 'unknown');

        const all = await store.reactionsTo('#r', [a.msgid, b.msgid]);
        assert.deepEqual(
          all.map((r) => [r.to, r.identity, r.emoji]),
          [
            [a.msgid, 'a:alice', '👍'],
            [a.msgid, 'g:guest', '👍'],
            [b.msgid, 'a:alice', '🎉'],
          ],
        );
        assert.deepEqual(all[0]!.message, first.message);
        assert.deepEqual(await store.findReaction(first.message.msgid), first);
        assert.equal(await store.removeReaction('#r', a.msgid, 'a:alice', '👍'), true);
        assert.equal(await store.removeReaction('#r', a.msgid, 'a:alice', '👍'), false);
        assert.deepEqual(
          (await store.reactionsTo('#r', [a.msgid])).map((r) => r.identity),
          ['g:guest'],
        );
        // Reactions are not messages: the timeline holds only the two messages.
        assert.deepEqual(msgids(await store.latest('#r', 10)), [a.msgid, b.msgid]);
      } finally {
        await store.close();
      }
    });

    it('redaction deletes the text, its edits and reactions, and leaves a tombstone', async () => {
      const location = await backend.location();
      const store = await backend.open(location);
      try {
        const secret = message('#r', T, { text: 'my password is hunter2' });
        const edit = message('#r', T + 1, {
          text: 'my password is *****',
          clientTags: { '+draft/edit': secret.msgid },
        });
        const other = message('#r', T + 2, { text: 'unrelated' });
        await store.append([secret, edit, other]);
        await store.addReaction(reaction(secret, 'a:bob', '😮', T + 3));
        const tombstone = {
          msgid: 'redact-1',
          redacted: secret.msgid,
          conversation: '#r',
          target: '#r',
          time: T + 4,
          sender: 'alice!a@h',
          senderAccount: 'alice',
          reason: 'oops',
        };
        // A redaction names the conversation: the same msgid from elsewhere changes nothing.
        assert.equal(await store.redact({ ...tombstone, conversation: '#other' }), false);
        assert.equal(await store.redact(tombstone), true);
        assert.equal(await store.redact({ ...tombstone, msgid: 'redact-2' }), false);
        assert.deepEqual(msgids(await store.latest('#r', 10)), [other.msgid]);
        assert.equal(await store.findMessage(secret.msgid), null);
        assert.deepEqual(await store.reactionsTo('#r', [secret.msgid]), []);
        assert.deepEqual(await store.redactions('#r', T, T + 4, 10), [tombstone]);
        assert.deepEqual(await store.redactions('#r', T + 5, T + 9, 10), []);

        // The words are gone from the database itself, not just hidden from queries.
        const raw = await location.raw();
        try {
          const rows = await raw.all<{ n: number }>(
            "SELECT count(*) AS n FROM messages WHERE text LIKE '%hunter2%' OR text LIKE '%*****%'",
          );
          assert.equal(Number(rows[0]!.n), 0);
        } finally {
          await raw.close();
        }

        // A reaction can be redacted on its own.
        const r = reaction(other, 'a:bob', '👎', T + 5);
        await store.addReaction(r);
        assert.equal(
          await store.redact({ ...tombstone, msgid: 'redact-3', redacted: r.message.msgid, time: T + 6 }),
          true,
        );
        assert.deepEqual(await store.reactionsTo('#r', [other.msgid]), []);
        // Pruning takes old tombstones too.
        await store.prune(T + 100);
        assert.deepEqual(await store.redactions('#r', 0, T + 100, 10), []);
      } finally {
        await store.close();
      }
    });

    it('topic changes (draft/event-playback): kept per room, read by time span in order, pruned with the history', async (t) => {
      const store = await fresh(t);
      const change = (msgid: string, conversation: string, time: number, text: string) => ({
        msgid,
        conversation,
        target: conversation.toUpperCase(),
        time,
        sender: 'alice!a@h',
        senderAccount: msgid === 't3' ? null : 'alice',
        text,
      });
      const t1 = change('t1', '#r', T + 1, 'the plan');
      const t2 = change('t2', '#r', T + 2, '');
      const t3 = change('t3', '#r', T + 2, 'same millisecond, later');
      await store.addTopicChange(t1);
      await store.addTopicChange(t2);
      await store.addTopicChange(t3);
      await store.addTopicChange(change('t4', '#other', T + 1, 'elsewhere'));
      assert.deepEqual(await store.topicChanges('#r', T, T + 10, 10), [t1, t2, t3]);
      assert.deepEqual(await store.topicChanges('#r', T + 2, T + 2, 10), [t2, t3]);
      assert.deepEqual(await store.topicChanges('#r', T, T + 10, 2), [t1, t2]);
      assert.deepEqual(await store.topicChanges('#r', T + 3, T + 10, 10), []);
      await store.prune(T + 2);
      assert.deepEqual(await store.topicChanges('#r', 0, T + 10, 10), [t2, t3]);
    });
  });

  describe('group commit (HistoryWriter)', () => {
    it('10 concurrent writers: all durable, in write order, in fewer transactions than messages', async (t) => {
      const store = await fresh(t);
      const sizes: number[] = [];
      const writer = new HistoryWriter({
        append: (ms) => {
          sizes.push(ms.length);
          return store.append(ms);
        },
      });
      const order: StoredMessage[] = [];
      const perWriter = 100;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          for (let i = 0; i < perWriter; i++) {
            // All on one millisecond: the stored order is the insertion order alone.
            const m = message('#busy', T);
            order.push(m);
            await writer.write(m);
          }
        }),
      );
      const burst = Array.from({ length: 300 }, () => message('#busy', T));
      order.push(...burst);
      await Promise.all(burst.map((m) => writer.write(m)));
      await writer.close();
      const total = 10 * perWriter + burst.length;
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        total,
      );
      assert.ok(sizes.length < total / 5, `${sizes.length} transactions for ${total} messages`);
      assert.equal(writer.batches, sizes.length);
      assert.deepEqual(msgids(await store.latest('#busy', 10_000)), msgids(order));
    });

    it('a lone message is committed at once, with no timer in between', async (t) => {
      const store = await fresh(t);
      const gate = gatedAppend(store);
      const writer = new HistoryWriter(gate.target);
      const m = message('#r', T);
      const done = writer.write(m);
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.equal(gate.batches.length, 1, 'the batch reached the store on the next turn of the loop');
      gate.release(0);
      await done;
      assert.deepEqual(await store.findMessage(m.msgid), m);
    });

    it('writes made while a batch is in flight go together in the next one', async (t) => {
      const store = await fresh(t);
      const gate = gatedAppend(store);
      const writer = new HistoryWriter(gate.target, { maxBatch: 3 });
      const first = writer.write(message('#r', T));
      await gate.entered(0);
      const more = Array.from({ length: 5 }, (_, i) => writer.write(message('#r', T + i)));
      assert.equal(writer.pending, 6);
      gate.release(0);
      await first;
      await gate.entered(1);
      gate.release(1);
      await gate.entered(2);
      gate.release(2);
      await Promise.all(more);
      assert.deepEqual(
        gate.batches.map((b) => b.length),
        [1, 3, 2],
      );
      assert.equal((await store.latest('#r', 100)).length, 6);
    });

    it('a failing batch rejects only its own writers; the batches after it still commit', async (t) => {
      const store = await fresh(t);
      const gate = gatedAppend(store);
      const writer = new HistoryWriter(gate.target);
      const a = message('#r', T);
      const b = message('#r', T + 1);
      const dup = message('#r', T + 2, { msgid: a.msgid });
      const d = message('#r', T + 3);
      const pa = outcome(writer.write(a));
      await gate.entered(0);
      const pb = outcome(writer.write(b));
      const pdup = outcome(writer.write(dup));
      gate.release(0);
      await gate.entered(1);
      const pd = outcome(writer.write(d));
      gate.release(1);
      await gate.entered(2);
      gate.release(2);
      assert.equal(await pa, 'ok');
      assert.ok((await pb) instanceof Error, 'the batch with a duplicate msgid failed');
      assert.ok((await pdup) instanceof Error);
      assert.equal(await pd, 'ok');
      assert.deepEqual(
        gate.batches.map((x) => msgids(x)),
        [[a.msgid], [b.msgid, dup.msgid], [d.msgid]],
      );
      assert.deepEqual(msgids(await store.latest('#r', 10)), [a.msgid, d.msgid]);
    });

    it('flush waits for earlier writes; close refuses new ones; a full queue refuses at once', async (t) => {
      const store = await fresh(t);
      const gate = gatedAppend(store);
      const writer = new HistoryWriter(gate.target, { maxQueue: 3 });
      const writes = [writer.write(message('#r', T)), writer.write(message('#r', T + 1))];
      let flushed = false;
      const flush = writer.flush().then(() => {
        flushed = true;
      });
      writes.push(writer.write(message('#r', T + 2)));
      await assert.rejects(writer.write(message('#r', T + 3)), HistoryWriteRefused);
      await gate.entered(0);
      assert.equal(flushed, false);
      gate.release(0);
      await flush;
      await Promise.all(writes);
      const closing = writer.close();
      await assert.rejects(writer.write(message('#r', T + 4)), /closed/);
      await closing;
      assert.equal((await store.latest('#r', 10)).length, 3);
    });
  });

  describe('migrations', () => {
    const tableNames = [
      'accounts',
      'account_certs',
      'channels',
      'messages',
      'reactions',
      'read_markers',
      'redactions',
      'schema_version',
      'uploads',
      'webpush_subscriptions',
    ];

    async function versions(location: Location): Promise<number[]> {
      const raw = await location.raw();
      try {
        const rows = await raw.all<{ version: number }>(
          'SELECT version FROM schema_version ORDER BY version',
        );
        return rows.map((r) => Number(r.version));
      } finally {
        await raw.close();
      }
    }

    it('from an empty database to the latest version, once', async () => {
      const location = await backend.location();
      const store = await openStore({ database: location.database, dataDir: location.dataDir });
      assert.equal(store.schemaVersion, LATEST_VERSION);
      await store.close();
      const again = await openStore({ database: location.database, dataDir: location.dataDir });
      assert.equal(again.schemaVersion, LATEST_VERSION);
      await again.close();
      assert.deepEqual(
        await versions(location),
        Array.from({ length: LATEST_VERSION }, (_, i) => i + 1),
      );
      const raw = await location.raw();
      try {
        for (const table of tableNames) await raw.all(`SELECT count(*) AS n FROM ${table}`);
      } finally {
        await raw.close();
      }
    });

    it('two processes opening an empty database at once migrate it once', async () => {
      const location = await backend.location();
      const stores = await Promise.all([
        backend.open(location),
        backend.open(location),
        backend.open(location),
      ]);
      for (const s of stores) {
        assert.equal(s.schemaVersion, LATEST_VERSION);
        await s.close();
      }
      assert.deepEqual(
        await versions(location),
        Array.from({ length: LATEST_VERSION }, (_, i) => i + 1),
      );
    });

    for (let from = 1; from < LATEST_VERSION; from++) {
      it(`from version ${from} with data in place to the latest`, async () => {
        const location = await backend.location();
        const partial = await backend.open(location, from);
        assert.equal(partial.schemaVersion, from);
        await partial.close();
        assert.deepEqual(
          await versions(location),
          Array.from({ length: from }, (_, i) => i + 1),
        );

        // Data written by a tertulia at version `from`, straight into its tables.
        const raw = await location.raw();
        const rows = [
          ['old-1', T, 'PRIVMSG', '#room', '#Room', 'alice!a@h', 'alice', 'hello', null],
          ['old-2', T + 10, 'TAGMSG', '#room', '#ROOM', 'bob!b@h', null, null, '{"+typing":"active"}'],
          ['old-3', T + 10, 'NOTICE', '#room', '#room', 'alice!a@h', 'alice', 'tie', null],
          ['old-4', T + 5, 'PRIVMSG', 'dm:a:alice a:bob', 'bob', 'alice!a@h', 'alice', 'psst', null],
          ['old-5', T + 20, 'PRIVMSG', 'dm:a:alice a:bob', 'Bob', 'alice!a@h', 'alice', 'psst 2', null],
          // Reactions were plain TAGMSGs before v5: one current, one undone, one to a message not stored.
          [
            'old-6',
            T + 1,
            'TAGMSG',
            '#room',
            '#room',
            'alice!a@h',
            'Alice',
            null,
            '{"+draft/react":"👍","+draft/reply":"old-1"}',
          ],
          [
            'old-7',
            T + 2,
            'TAGMSG',
            '#room',
            '#room',
            'bob!b@h',
            null,
            null,
            '{"+draft/react":"🎉","+reply":"old-1"}',
          ],
          [
            'old-8',
            T + 3,
            'TAGMSG',
            '#room',
            '#room',
            'bob!b@h',
            null,
            null,
            '{"+draft/unreact":"🎉","+reply":"old-1"}',
          ],
          [
            'old-9',
            T + 4,
            'TAGMSG',
            '#room',
            '#room',
            'bob!b@h',
            null,
            null,
            '{"+draft/react":"🎉","+draft/reply":"gone"}',
          ],
        ];
        try {
          // From v5 on, reactions live in their own table: a v5 tertulia stored the one in force
          // there and never kept undone ones.
          for (const row of from < 5 ? rows : rows.slice(0, 5)) {
            await raw.run(
              `INSERT INTO messages (msgid, time, command, conversation, target, sender, sender_account, text,
                 client_tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              row,
            );
          }
          if (from >= 5) {
            await raw.run(
              `INSERT INTO reactions (msgid, reply_to, conversation, identity, emoji, time, target, sender,
                 sender_account, client_tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              [
                'old-6',
                'old-1',
                '#room',
                'a:alice',
                '👍',
                T + 1,
                '#room',
                'alice!a@h',
                'Alice',
                '{"+draft/react":"👍","+draft/reply":"old-1"}',
              ],
            );
          }
          await raw.run(
            `INSERT INTO accounts (folded, name, password_hash, scram_salt, scram_iterations, scram_stored_key,
               scram_server_key, email, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            ['alice', 'Alice', 'scrypt$x', 'salt', 4096, 'sk', 'vk', 'a@example.org', T],
          );
          if (from >= 2) {
            await raw.run('INSERT INTO account_certs (fingerprint, account) VALUES (?, ?)', ['fp1', 'alice']);
            await raw.run(
              `INSERT INTO channels (folded, name, founder, registered_at, topic_text, topic_set_by, topic_set_at,
                 modes, operators, bans) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              ['#room', '#Room', 'alice', T, 'hi', 'alice', T + 1, '["+nt"]', '["alice"]', '[]'],
            );
            await raw.run('INSERT INTO read_markers (account, target, time) VALUES (?, ?, ?)', [
              'alice',
              '#room',
              T + 10,
            ]);
          }
          if (from >= 3) {
            // A v3 tertulia kept the summaries up to date as it appended.
            for (const [conversation, target, latest] of [
              ['#room', '#room', T + 10],
              ['dm:a:alice a:bob', 'Bob', T + 20],
            ] as const) {
              await raw.run('INSERT INTO conversations (conversation, target, latest) VALUES (?, ?, ?)', [
                conversation,
                target,
                latest,
              ]);
            }
            for (const identity of ['a:alice', 'a:bob']) {
              await raw.run('INSERT INTO conversation_members (identity, conversation) VALUES (?, ?)', [
                identity,
                'dm:a:alice a:bob',
              ]);
            }
          }
        } finally {
          await raw.close();
        }

        const store = await openStore({ database: location.database, dataDir: location.dataDir });
        try {
          assert.equal(store.schemaVersion, LATEST_VERSION);
          assert.deepEqual(msgids(await store.latest('#room', 10)), ['old-1', 'old-2', 'old-3']);
          assert.deepEqual(await store.findMessage('old-2'), {
            msgid: 'old-2',
            time: T + 10,
            command: 'TAGMSG',
            conversation: '#room',
            target: '#ROOM',
            sender: 'bob!b@h',
            senderAccount: null,
            text: null,
            clientTags: { '+typing': 'active' },
          });
          assert.deepEqual(msgids(await store.before('#room', { msgid: 'old-3' }, 10)), ['old-1', 'old-2']);
          // v5 moved the reaction still in force out of the timeline, and dropped the others.
          assert.deepEqual(
            (await store.reactionsTo('#room', ['old-1', 'gone'])).map((r) => [
              r.message.msgid,
              r.identity,
              r.emoji,
            ]),
            [['old-6', 'a:alice', '👍']],
          );
          assert.equal(await store.findMessage('old-8'), null);
          // The summaries added in v3 were filled from the messages already there.
          assert.deepEqual(await store.conversations('a:bob', ['#room'], 0, T + 1000, 10), [
            { conversation: '#room', target: '#room', latest: T + 10 },
            { conversation: 'dm:a:alice a:bob', target: 'Bob', latest: T + 20 },
          ]);
          assert.deepEqual(await store.conversations('a:carol', [], 0, T + 1000, 10), []);
          const alice = await store.getAccount('alice');
          assert.deepEqual(alice, {
            name: 'Alice',
            folded: 'alice',
            passwordHash: 'scrypt$x',
            scram: { salt: 'salt', iterations: 4096, storedKey: 'sk', serverKey: 'vk' },
            email: 'a@example.org',
            createdAt: T,
            certFingerprints: from >= 2 ? ['fp1'] : [],
          });
          if (from >= 2) {
            assert.equal((await store.findAccountByCert('fp1'))?.folded, 'alice');
            assert.deepEqual(await store.getChannel('#room'), {
              folded: '#room',
              name: '#Room',
              founder: 'alice',
              registeredAt: T,
              topic: { text: 'hi', setBy: 'alice', setAt: T + 1 },
              modes: ['+nt'],
              operators: ['alice'],
              bans: [],
              // Rooms registered before version 9 kept no exceptions.
              exceptions: [],
              inviteExceptions: [],
            });
            assert.equal(await store.getReadMarker('alice', '#room'), T + 10);
          }
          // And it goes on working after the upgrade.
          const next = message('dm:a:alice a:bob', T + 30, { target: 'bob' });
          await store.append([next]);
          assert.deepEqual(msgids(await store.latest('dm:a:alice a:bob', 10)), [
            'old-4',
            'old-5',
            next.msgid,
          ]);
          assert.deepEqual(await store.conversations('a:alice', [], 0, T + 1000, 10), [
            { conversation: 'dm:a:alice a:bob', target: 'bob', latest: T + 30 },
          ]);
          assert.equal(await store.setReadMarker('alice', '#room', T + 5), from >= 2 ? T + 10 : T + 5);
          // Full-text search (v5) covers the history that was there before, and what came after.
          const search = (text: string) =>
            store.search({
              query: { terms: [{ words: [text], prefix: false, negated: false }] },
              conversations: ['#room'],
              identity: 'a:bob',
              fromNick: null,
              after: null,
              before: null,
              order: 'oldest',
              limit: 10,
              from: null,
            });
          assert.deepEqual(
            (await search('psst')).map((h) => h.message.msgid),
            ['old-4', 'old-5'],
          );
          assert.deepEqual(
            (await search('hello')).map((h) => h.message.msgid),
            ['old-1'],
          );
          assert.deepEqual(
            (await search(next.text!.split(' ')[1]!)).map((h) => h.message.msgid),
            [next.msgid],
          );
        } finally {
          await store.close();
        }
      });
    }

    it('refuses a database from a newer tertulia, naming it', async () => {
      const location = await backend.location();
      await (await backend.open(location)).close();
      const raw = await location.raw();
      await raw.run('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', [
        LATEST_VERSION + 1,
        T,
      ]);
      await raw.close();
      await assert.rejects(
        openStore({ database: location.database, dataDir: location.dataDir }),
        (err: Error) => {
          assert.match(err.message, /newer than this tertulia/);
          assert.match(err.message, backend.name === 'sqlite' ? /sqlite:/ : /postgres:\/\//);
          return true;
        },
      );
    });
  });
}

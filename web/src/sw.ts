/**
 * The service worker (built to /sw.js by scripts/build-sw.mjs, so its scope is the whole
 * app): shows a notification for each Web Push the server sends (draft/webpush; the
 * payload is one IRC line, docs/web-push.md) and, when one is clicked, focuses the app at
 * that conversation or opens it there.
 */
import { parsePushPayload } from '../../src/client/webpush.js';

// The parts of the service worker scope used here (web/tsconfig.json has the page's DOM
// types, not the WebWorker ones, and the two cannot be mixed in one program).
interface WindowClientLike {
  url: string;
  focused: boolean;
  focus(): Promise<unknown>;
  postMessage(data: unknown): void;
}
interface ExtendableEventLike {
  waitUntil(p: Promise<unknown>): void;
}
interface PushEventLike extends ExtendableEventLike {
  data: { text(): string } | null;
}
interface NotificationClickLike extends ExtendableEventLike {
  notification: { data: unknown; close(): void };
}
interface WorkerScope {
  registration: {
    scope: string;
    showNotification(title: string, options: NotificationOptions & { timestamp?: number }): Promise<void>;
  };
  clients: {
    claim(): Promise<void>;
    matchAll(opts: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClientLike[]>;
    openWindow(url: string): Promise<unknown>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEventLike) => void): void;
  addEventListener(type: 'push', fn: (e: PushEventLike) => void): void;
  addEventListener(type: 'notificationclick', fn: (e: NotificationClickLike) => void): void;
}

const sw = globalThis as unknown as WorkerScope;

/** What a notification carries to its click. */
interface NoticeData {
  conversation: string | null;
  msgid: string | undefined;
}

sw.addEventListener('install', (e) => e.waitUntil(sw.skipWaiting()));
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()));

sw.addEventListener('push', (e) => {
  const notice = parsePushPayload(e.data?.text() ?? '');
  // userVisibleOnly: every push shows something, even one we cannot read.
  if (notice === null) {
    e.waitUntil(sw.registration.showNotification('tertulia', { body: 'New activity', tag: 'tertulia' }));
    return;
  }
  const body = notice.action ? `* ${notice.from} ${notice.text}` : notice.text;
  const data: NoticeData = { conversation: notice.room ?? notice.from, msgid: notice.msgid };
  e.waitUntil(
    sw.registration.showNotification(notice.room ?? notice.from, {
      body: notice.room !== null ? `${notice.from}: ${body}` : body,
      tag: notice.room ?? notice.from,
      icon: '/icon-192.png',
      badge: '/icon-192.png',
      data,
      ...(notice.time !== undefined ? { timestamp: notice.time.getTime() } : {}),
    }),
  );
});

sw.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const data = (e.notification.data ?? {}) as Partial<NoticeData>;
  e.waitUntil(
    (async () => {
      const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => w.focused) ?? windows[0];
      if (open !== undefined) {
        await open.focus();
        if (data.conversation)
          open.postMessage({ type: 'tertulia.open', conversation: data.conversation, msgid: data.msgid });
        return;
      }
      const hash = new URLSearchParams();
      if (data.conversation) hash.set('open', data.conversation);
      if (data.msgid) hash.set('msgid', data.msgid);
      await sw.clients.openWindow(`${sw.registration.scope}#${hash}`);
    })(),
  );
});

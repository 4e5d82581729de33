/**
 * The messages of one conversation: grouped by sender (state/grouping.ts), with day
 * separators, quiet events, clickable links and shared files. It keeps each conversation's
 * scroll position, follows new messages when at the bottom, keeps the view still when
 * older history is added above, and asks for older history when scrolled to the top.
 */
import { memo } from 'preact/compat';
import { useEffect, useLayoutEffect, useMemo, useRef } from 'preact/hooks';
import type { Controller } from '../controller.js';
import { dayOf, groupEntries } from '../state/grouping.js';
import type { Conversation, Entry } from '../state/model.js';
import { linkify, sharedFile } from '../state/text.js';
import { Avatar } from './Avatar.js';
import { FileIcon } from './Icons.js';
import { useI18n } from './i18n.js';

/** Within this many pixels of the bottom counts as "at the bottom". */
const BOTTOM_SLACK = 48;

function MessageText(props: { entry: Entry; fileHost: string | null }) {
  const { t } = useI18n();
  const file = sharedFile(props.entry.text, props.fileHost, location.origin);
  if (file !== null) {
    return file.image ? (
      <a
        class="image-link"
        href={file.href}
        target="_blank"
        rel="noopener noreferrer"
        title={t('file.open', { name: file.name })}
      >
        <img src={file.href} alt={file.name} loading="lazy" />
      </a>
    ) : (
      <a class="file-card" href={file.href} download={file.name} rel="noopener noreferrer">
        <span class="file-icon">
          <FileIcon />
        </span>
        <span class="file-name">{file.name}</span>
        <span class="file-action">{t('file.download')}</span>
      </a>
    );
  }
  return (
    <>
      {linkify(props.entry.text).map((seg, i) =>
        seg.kind === 'link' ? (
          <a href={seg.href} target="_blank" rel="noopener noreferrer nofollow" key={i}>
            {seg.text}
          </a>
        ) : (
          seg.text
        ),
      )}
    </>
  );
}

function EventLine(props: { entry: Entry }) {
  const { t } = useI18n();
  const e = props.entry;
  const key = `event.${e.kind}` as 'event.join';
  return (
    <div class="event" data-kind={e.kind}>
      {t(key, { nick: e.from, text: e.text })}
    </div>
  );
}

const Entries = memo(function Entries(props: {
  entries: readonly Entry[];
  me: string;
  fileHost: string | null;
  lang: string;
}) {
  const { t } = useI18n();
  const blocks = useMemo(() => groupEntries(props.entries), [props.entries]);
  const time = new Intl.DateTimeFormat(props.lang, { hour: '2-digit', minute: '2-digit' });
  const date = new Intl.DateTimeFormat(props.lang, { weekday: 'long', day: 'numeric', month: 'long' });
  const today = dayOf(Date.now());
  return (
    <>
      {blocks.map((b) => {
        if (b.kind === 'day') {
          const label =
            b.day === today
              ? t('messages.today')
              : b.day === dayOf(today - 12 * 3600_000)
                ? t('messages.yesterday')
                : date.format(b.day);
          return (
            <h2 class="day" key={b.key}>
              <span>{label}</span>
            </h2>
          );
        }
        if (b.kind === 'event') return <EventLine entry={b.entry} key={b.key} />;
        return (
          <article class={b.self ? 'group self' : 'group'} key={b.key} aria-label={b.from}>
            {!b.self && <Avatar name={b.from} />}
            <div class="group-body">
              <header class="group-head">
                <span class="sender">{b.self ? `${b.from} (${t('messages.you')})` : b.from}</span>
                <time dateTime={new Date(b.entries[0]!.time).toISOString()}>
                  {time.format(b.entries[0]!.time)}
                </time>
              </header>
              {b.entries.map((e) => (
                <div
                  class={`message${e.kind === 'action' ? ' action' : ''}${e.kind === 'notice' ? ' notice' : ''}`}
                  key={e.id}
                  data-msgid={e.msgid}
                  title={time.format(e.time)}
                >
                  {e.kind === 'action' && <span class="action-nick">* {e.from} </span>}
                  <MessageText entry={e} fileHost={props.fileHost} />
                </div>
              ))}
            </div>
          </article>
        );
      })}
    </>
  );
});

export function MessageList(props: { conv: Conversation; controller: Controller; me: string }) {
  const { conv, controller } = props;
  const { t, lang } = useI18n();
  const scroller = useRef<HTMLElement>(null);
  const content = useRef<HTMLDivElement>(null);
  // Where each conversation was (null: at the bottom), and what the list looked like last render.
  const shown = useRef<{ key: string; top: number | null; height: number; first: string | undefined }>({
    key: '',
    top: null,
    height: 0,
    first: undefined,
  });

  // After each render: restore a conversation's place when switching, keep the view still
  // when older messages were added above, or stay at the bottom for new ones.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el === null) return;
    const prev = shown.current;
    const first = conv.entries[0]?.id;
    if (prev.key !== conv.key) {
      if (prev.key !== '') controller.saveScroll(prev.key, prev.top);
      if (conv.scrollTop === null) el.scrollTop = el.scrollHeight;
      else el.scrollTop = conv.scrollTop;
    } else if (prev.top === null) {
      el.scrollTop = el.scrollHeight;
    } else if (first !== prev.first) {
      el.scrollTop += el.scrollHeight - prev.height;
    }
    shown.current = {
      key: conv.key,
      top: prev.key !== conv.key ? conv.scrollTop : prev.top,
      height: el.scrollHeight,
      first,
    };
    controller.setAtBottom(shown.current.top === null);
  });

  // Images arriving later change the height: stay at the bottom if we were there.
  useEffect(() => {
    const el = scroller.current;
    const inner = content.current;
    if (el === null || inner === null || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      if (shown.current.top === null) el.scrollTop = el.scrollHeight;
      shown.current.height = el.scrollHeight;
    });
    ro.observe(inner);
    return () => ro.disconnect();
  }, []);

  const onScroll = () => {
    const el = scroller.current;
    if (el === null) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK;
    shown.current.top = atBottom ? null : el.scrollTop;
    shown.current.height = el.scrollHeight;
    controller.setAtBottom(atBottom);
    if (el.scrollTop < 120 && conv.history === 'more') controller.loadOlder(conv.name);
  };

  return (
    <section
      class="messages"
      ref={scroller}
      onScroll={onScroll}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus so the keyboard can scroll it
      tabIndex={0}
      aria-label={t('messages.label', { name: conv.name })}
    >
      <div class="messages-inner" ref={content}>
        <div class="history-edge">
          {conv.history === 'complete' ? (
            <p>{t('history.beginning')}</p>
          ) : conv.history === 'loading' ? (
            <p aria-busy="true">{t('history.loading')}</p>
          ) : (
            <button type="button" class="link-button" onClick={() => controller.loadOlder(conv.name)}>
              {t('history.loadOlder')}
            </button>
          )}
        </div>
        <div role="log" aria-live="polite" aria-relevant="additions">
          <Entries entries={conv.entries} me={props.me} fileHost={controller.client.fileHost} lang={lang} />
        </div>
      </div>
    </section>
  );
}

/**
 * The messages of one conversation: grouped by sender (state/grouping.ts), with day
 * separators, quiet events, clickable links and shared files. It keeps each conversation's
 * scroll position, follows new messages when at the bottom, keeps the view still when
 * older history is added above, and asks for older history when scrolled to the top.
 * Each message has its actions (reply, react, edit, delete: shown on hover or focus, and
 * reachable with Tab), its reply quote and its reaction counters.
 */
import { memo } from 'preact/compat';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Controller } from '../controller.js';
import { isServiceNoticeKey } from '../i18n.js';
import {
  canDelete,
  findMessage,
  firstLine,
  foldEdits,
  looksLikeCode,
  REACTION_EMOJI,
  replyTo,
} from '../state/features.js';
import { dayOf, groupEntries } from '../state/grouping.js';
import type { Conversation, Entry, Reaction, State } from '../state/model.js';
import { avatarUrl, profileOf, shownName } from '../state/profiles.js';
import { linkify, sharedFile } from '../state/text.js';
import { Avatar } from './Avatar.js';
import { Emoji } from './Emoji.js';
import { FileIcon } from './Icons.js';
import { useI18n } from './i18n.js';

/** Within this many pixels of the bottom counts as "at the bottom". */
const BOTTOM_SLACK = 48;

export function MessageText(props: { entry: Entry; fileHost: string | null }) {
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
  if (e.kind === 'service') {
    // An unknown code (a newer server) falls back to the server's English text.
    const code = e.tags['tertulia/notice'] ?? '';
    const key = `service.${code}`;
    return (
      <div class="event service" data-kind="service" data-code={code} role="note">
        {isServiceNoticeKey(key) ? t(key, { room: e.tags['+draft/channel-context'] ?? '' }) : e.text}
      </div>
    );
  }
  const key = `event.${e.kind}` as 'event.join';
  return (
    <div class="event" data-kind={e.kind}>
      {t(key, { nick: e.from, text: e.text })}
    </div>
  );
}

function ReplyQuote(props: { shown: readonly Entry[]; msgid: string; conv: string; controller: Controller }) {
  const { t } = useI18n();
  const original = findMessage(props.shown, props.msgid);
  return (
    <button
      type="button"
      class="reply-quote"
      aria-label={
        original === undefined
          ? t('reply.jumpUnknown')
          : t('reply.jump', { from: original.from, text: firstLine(original.text) })
      }
      onClick={() => void props.controller.jumpTo(props.conv, props.msgid)}
    >
      <span class="quote-mark" aria-hidden="true">
        ↪
      </span>
      {original === undefined ? (
        <span class="quote-text">{t('reply.earlier')}</span>
      ) : (
        <>
          <span class="quote-from">{original.from}</span>
          <span class="quote-text">{firstLine(original.text)}</span>
        </>
      )}
    </button>
  );
}

function Reactions(props: { reactions: readonly Reaction[]; onToggle: (emoji: string) => void }) {
  const { t } = useI18n();
  return (
    <div class="reactions">
      {props.reactions.map((r) => {
        const who = t('reactions.who', { emoji: r.emoji, count: r.count, who: r.who.join(', ') });
        return (
          <button
            type="button"
            key={r.emoji}
            class={r.mine ? 'reaction mine' : 'reaction'}
            aria-pressed={r.mine}
            title={r.who.join(', ')}
            aria-label={who}
            onClick={() => props.onToggle(r.emoji)}
          >
            <span class="reaction-emoji">
              <Emoji emoji={r.emoji} size={16} />
            </span>
            <span class="reaction-count">{r.count}</span>
          </button>
        );
      })}
    </div>
  );
}

function EmojiPicker(props: { onPick: (emoji: string) => void; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <fieldset
      class="emoji-picker"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          props.onClose();
        }
      }}
    >
      <legend class="visually-hidden">{t('message.react')}</legend>
      {REACTION_EMOJI.map((emoji, i) => (
        <button
          type="button"
          key={emoji}
          class="emoji"
          ref={i === 0 ? (el) => el?.focus() : undefined}
          onClick={() => props.onPick(emoji)}
        >
          <Emoji emoji={emoji} size={22} />
        </button>
      ))}
    </fieldset>
  );
}

interface EntriesProps {
  /** Entries as shown (edits folded in). */
  shown: readonly Entry[];
  conv: string;
  reactions: Conversation['reactions'];
  state: State;
  flash: string | null;
  controller: Controller;
  fileHost: string | null;
  lang: string;
}

function MessageItem(props: EntriesProps & { e: Entry; time: Intl.DateTimeFormat }) {
  const { t } = useI18n();
  const { e, controller, conv } = props;
  const [picking, setPicking] = useState(false);
  const msgid = e.msgid;
  const reply = replyTo(e);
  const reactions = msgid === undefined ? undefined : props.reactions[msgid];
  const features = msgid !== undefined && controller.client.caps.has('message-tags');
  const editable = features && e.self && e.kind === 'message';
  const deletable = msgid !== undefined && controller.canRedact && canDelete(props.state, conv, e);
  const code = e.text.includes('\n') && looksLikeCode(e.text);
  return (
    <div
      class={`message${e.kind === 'action' ? ' action' : ''}${e.kind === 'notice' ? ' notice' : ''}${
        props.flash !== null && props.flash === msgid ? ' flash' : ''
      }`}
      data-msgid={msgid}
      title={props.time.format(e.time)}
      // Focusable by script (a jump lands here) and by a tap, which shows the actions on a phone.
      tabIndex={-1}
    >
      {reply !== undefined && (
        <ReplyQuote shown={props.shown} msgid={reply} conv={conv} controller={controller} />
      )}
      <div class={code ? 'text code' : 'text'}>
        {e.kind === 'action' && <span class="action-nick">* {e.from} </span>}
        <MessageText entry={e} fileHost={props.fileHost} />
        {e.edited && <span class="edited">{t('message.edited')}</span>}
      </div>
      {reactions !== undefined && reactions.length > 0 && (
        <Reactions
          reactions={reactions}
          onToggle={(emoji) => controller.toggleReaction(conv, msgid!, emoji)}
        />
      )}
      {features && (
        <div class="msg-actions" role="toolbar" aria-label={t('message.actions', { from: e.from })}>
          <button type="button" onClick={() => controller.compose(conv, { kind: 'reply', msgid: msgid! })}>
            {t('message.reply')}
          </button>
          <button type="button" aria-expanded={picking} onClick={() => setPicking(!picking)}>
            {t('message.react')}
          </button>
          {editable && (
            <button type="button" onClick={() => controller.compose(conv, { kind: 'edit', msgid: msgid! })}>
              {t('message.edit')}
            </button>
          )}
          {deletable && (
            <button
              type="button"
              class="danger"
              onClick={() => {
                if (
                  window.confirm(
                    t(e.self ? 'message.confirmDelete' : 'message.confirmDeleteOther', { from: e.from }),
                  )
                )
                  controller.deleteMessage(conv, msgid!);
              }}
            >
              {t('message.delete')}
            </button>
          )}
        </div>
      )}
      {picking && (
        <EmojiPicker
          onPick={(emoji) => {
            setPicking(false);
            controller.toggleReaction(conv, msgid!, emoji);
          }}
          onClose={() => setPicking(false)}
        />
      )}
    </div>
  );
}

const Entries = memo(function Entries(props: EntriesProps) {
  const { t } = useI18n();
  const blocks = useMemo(() => groupEntries(props.shown), [props.shown]);
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
            {!b.self && (
              <Avatar name={b.from} src={avatarUrl(profileOf(props.state, b.from), window.location.origin)} />
            )}
            <div class="group-body">
              <header class="group-head">
                <span class="sender">
                  {b.self
                    ? `${shownName(props.state, b.from)} (${t('messages.you')})`
                    : shownName(props.state, b.from)}
                </span>
                {shownName(props.state, b.from) !== b.from && <span class="sender-nick">{b.from}</span>}
                {b.account !== undefined && (
                  // A logged-in account, not a guest who took the name: the account on hover.
                  <span
                    class="account-mark"
                    title={t('messages.account', { account: b.account })}
                    aria-label={t('messages.account', { account: b.account })}
                    role="img"
                  >
                    ✓
                  </span>
                )}
                <time dateTime={new Date(b.entries[0]!.time).toISOString()}>
                  {time.format(b.entries[0]!.time)}
                </time>
              </header>
              {b.entries.map((e) => (
                <MessageItem {...props} e={e} time={time} key={e.id} />
              ))}
            </div>
          </article>
        );
      })}
    </>
  );
});

/** How long a message jumped to stays highlighted, and a "not available" note stays up. */
const FLASH_MS = 2000;
const MISSING_MS = 4000;

export function MessageList(props: { conv: Conversation; controller: Controller; state: State }) {
  const { conv, controller, state } = props;
  const shownEntries = useMemo(() => foldEdits(conv.entries), [conv.entries]);
  const jump = state.jump !== null && state.jump.conversation === conv.key ? state.jump : null;
  const handledJump = useRef(0);
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
    // A message to show (a reply's original, a search hit): scroll to it and light it up.
    if (jump !== null && jump.status !== 'loading' && handledJump.current !== jump.seq) {
      handledJump.current = jump.seq;
      const target =
        jump.status === 'found'
          ? el.querySelector<HTMLElement>(`[data-msgid="${CSS.escape(jump.msgid)}"]`)
          : null;
      if (target !== null) {
        target.scrollIntoView({ block: 'center' });
        target.focus({ preventScroll: true });
        const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK;
        shown.current.top = atBottom ? null : el.scrollTop;
      }
      const seq = jump.seq;
      setTimeout(() => controller.endJump(seq), jump.status === 'found' ? FLASH_MS : MISSING_MS);
    }
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
          <Entries
            shown={shownEntries}
            conv={conv.name}
            reactions={conv.reactions}
            state={state}
            flash={jump?.status === 'found' ? jump.msgid : null}
            controller={controller}
            fileHost={controller.client.fileHost}
            lang={lang}
          />
        </div>
        {jump !== null && jump.status !== 'found' && (
          <output class="jump-status">
            {jump.status === 'loading' ? t('reply.looking') : t('reply.unavailable')}
          </output>
        )}
      </div>
    </section>
  );
}

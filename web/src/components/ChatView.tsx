/** One open conversation: header (name, topic, members, leave), messages, typing, uploads, composer. */
import { useEffect, useState } from 'preact/hooks';
import type { Controller } from '../controller.js';
import { typingNow } from '../state/conversations.js';
import type { Conversation, State } from '../state/model.js';
import { formatBytes } from '../state/text.js';
import { Composer } from './Composer.js';
import { LeaveIcon, MenuIcon, PeopleIcon } from './Icons.js';
import { useI18n } from './i18n.js';
import { Members } from './Members.js';
import { MessageList } from './MessageList.js';

function TypingLine(props: { conv: Conversation }) {
  const { t } = useI18n();
  const [now, setNow] = useState(Date.now());
  const who = typingNow(props.conv, now);
  // Re-check while someone is typing, so indicators expire without new events.
  useEffect(() => {
    if (Object.keys(props.conv.typing).length === 0) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [props.conv.typing]);
  const text =
    who.length === 0
      ? ''
      : who.length === 1
        ? t('typing.one', { a: who[0]! })
        : who.length === 2
          ? t('typing.two', { a: who[0]!, b: who[1]! })
          : t('typing.many');
  return (
    <p class="typing" aria-live="polite">
      {text}
    </p>
  );
}

export function ChatView(props: {
  state: State;
  conv: Conversation;
  controller: Controller;
  showMembers: boolean;
  onToggleMembers: () => void;
  onMenu: () => void;
}) {
  const { state, conv, controller } = props;
  const { t } = useI18n();
  const [dragging, setDragging] = useState(false);
  const [editingTopic, setEditingTopic] = useState(false);
  const uploads = state.uploads.filter((u) => u.conversation === conv.key);
  // The server names its limit ("the limit is 25 MB per file"): say it in the reader's language.
  const tooLargeText = (name: string, reason: string | undefined): string => {
    const limit = /limit is (\d+(?:\.\d)? [KMGT]?B)\b/.exec(reason ?? '')?.[1];
    return limit === undefined
      ? t('upload.tooLarge', { name, reason: reason ?? '' })
      : t('upload.overLimit', { name, limit });
  };
  const room = conv.kind === 'room';
  const memberCount = Object.keys(conv.members).length;
  const membersLabel = t(memberCount === 1 ? 'header.membersOne' : 'header.membersCount', {
    count: memberCount,
  });
  const leaveLabel = room ? t('header.leave') : t('header.close');
  const canDrop = controller.uploadBlocker === null;

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: dropping files is a mouse shortcut; the attach button does the same from the keyboard
    <div
      class={`chat${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        if (!canDrop || !e.dataTransfer?.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        const files = [...(e.dataTransfer?.files ?? [])];
        if (files.length > 0 && canDrop) controller.sendFiles(conv.name, files);
      }}
    >
      <section class="conversation-pane" aria-labelledby="conversation-title">
        <header class="chat-head">
          <button type="button" class="icon-button menu" aria-label={t('header.menu')} onClick={props.onMenu}>
            <MenuIcon />
          </button>
          <div class="title">
            <h1 id="conversation-title">{conv.name}</h1>
            {room ? (
              editingTopic ? (
                <form
                  class="topic-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const input = (e.currentTarget as HTMLFormElement).elements.namedItem(
                      'topic',
                    ) as HTMLInputElement;
                    controller.setTopic(conv.name, input.value);
                    setEditingTopic(false);
                  }}
                >
                  <input
                    name="topic"
                    aria-label={t('header.editTopic')}
                    defaultValue={conv.topic}
                    ref={(el) => el?.focus()}
                    onKeyDown={(e) => {
                      if (e.key === 'Escape') setEditingTopic(false);
                    }}
                  />
                </form>
              ) : (
                <button
                  type="button"
                  class="topic"
                  title={t('header.editTopic')}
                  onClick={() => setEditingTopic(true)}
                >
                  {conv.topic !== '' ? conv.topic : t('header.topicPlaceholder')}
                </button>
              )
            ) : (
              <p class="topic">{state.away[conv.key] ? t('members.away') : t('header.private')}</p>
            )}
          </div>
          {/* On a phone the words give way to icons (the count stays); the labels keep them for screen readers. */}
          {room && (
            <button
              type="button"
              class="head-button members-button"
              aria-label={membersLabel}
              aria-expanded={props.showMembers}
              aria-controls="members-panel"
              onClick={props.onToggleMembers}
            >
              <span class="wide-only">{membersLabel}</span>
              <span class="narrow-only">
                <PeopleIcon />
                {memberCount}
              </span>
            </button>
          )}
          <button
            type="button"
            class="head-button leave-button"
            aria-label={leaveLabel}
            title={leaveLabel}
            onClick={() => controller.close(conv.name)}
          >
            <span class="wide-only">{leaveLabel}</span>
            <span class="narrow-only">{room ? <LeaveIcon /> : '×'}</span>
          </button>
        </header>
        <MessageList conv={conv} controller={controller} state={state} />
        <TypingLine conv={conv} />
        {uploads.length > 0 && (
          <ul class="uploads">
            {uploads.map((u) => (
              <li key={u.id} class={u.error !== undefined ? 'upload failed' : 'upload'}>
                {u.error === undefined ? (
                  <>
                    <span>
                      {t('upload.progress', { name: u.name, percent: Math.round(u.progress * 100) })} (
                      {formatBytes(u.size)})
                    </span>
                    <progress max={1} value={u.progress} aria-label={u.name} />
                  </>
                ) : (
                  <span role="alert">
                    {u.tooLarge
                      ? tooLargeText(u.name, u.error)
                      : t('upload.failed', { name: u.name, reason: u.error })}
                  </span>
                )}
                <button type="button" class="link-button" onClick={() => controller.dismissUpload(u.id)}>
                  {t('upload.dismiss')}
                </button>
              </li>
            ))}
          </ul>
        )}
        <Composer
          conv={conv}
          controller={controller}
          disabled={room && !conv.joined && state.connection === 'online'}
        />
        {dragging && (
          <div class="drop-overlay" aria-hidden="true">
            {t('upload.drop', { name: conv.name })}
          </div>
        )}
      </section>
      {room && props.showMembers && (
        <aside id="members-panel" class="members-panel">
          <Members conv={conv} state={state} controller={controller} />
        </aside>
      )}
    </div>
  );
}

/** The conversation list, with forms to join a room or message someone, and the person's own settings. */
import { useState } from 'preact/hooks';
import type { Controller } from '../controller.js';
import { lastMessage, sortedConversations, unreadCount } from '../state/conversations.js';
import type { State } from '../state/model.js';
import { avatarUrl, profileOf } from '../state/profiles.js';
import { sharedFile } from '../state/text.js';
import { TOUCH_ONLY } from '../touch.js';
import { Avatar } from './Avatar.js';
import { useI18n } from './i18n.js';
import { LanguagePicker } from './LanguagePicker.js';
import { NotificationsToggle } from './NotificationsToggle.js';
import { ProfileEditor } from './ProfileEditor.js';

export function Sidebar(props: {
  state: State;
  controller: Controller;
  onPicked: () => void;
  onLogout: () => void;
  onSearch: () => void;
  onDirectory: () => void;
  onSessions: () => void;
}) {
  const { state, controller } = props;
  const { t } = useI18n();
  const [room, setRoom] = useState('');
  const [peer, setPeer] = useState('');
  const [editingProfile, setEditingProfile] = useState(false);
  const mine = profileOf(state, state.me);
  const conversations = sortedConversations(state);
  const away = state.away[state.me.toLowerCase()] ?? false;

  return (
    <>
      <header class="sidebar-head">
        <Avatar name={state.me} src={avatarUrl(mine, window.location.origin)} />
        <div class="me">
          <strong>{mine?.displayName ?? state.me}</strong>
          <small>
            {mine?.status ??
              (state.account !== null
                ? t('sidebar.loggedInAs', { account: state.account })
                : t('sidebar.guest'))}
          </small>
        </div>
        <button
          type="button"
          class="head-button search-button"
          aria-keyshortcuts="Control+K"
          onClick={props.onSearch}
        >
          {t('search.open')}
        </button>
      </header>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (room.trim() === '') return;
          controller.join(room.trim());
          setRoom('');
          props.onPicked();
        }}
      >
        <label class="visually-hidden" for="join-room">
          {t('sidebar.join')}
        </label>
        <input
          id="join-room"
          placeholder={t('sidebar.joinPlaceholder')}
          title={t('sidebar.join')}
          value={room}
          onInput={(e) => setRoom(e.currentTarget.value)}
        />
        <button type="submit">{t('sidebar.joinButton')}</button>
      </form>
      <button type="button" class="link-button directory-open" onClick={props.onDirectory}>
        {t('directory.open.button')}
      </button>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (peer.trim() === '') return;
          controller.openPrivate(peer.trim());
          setPeer('');
          props.onPicked();
        }}
      >
        <label class="visually-hidden" for="message-peer">
          {t('sidebar.message')}
        </label>
        <input
          id="message-peer"
          placeholder={t('sidebar.messagePlaceholder')}
          title={t('sidebar.message')}
          value={peer}
          onInput={(e) => setPeer(e.currentTarget.value)}
        />
        <button type="submit">{t('sidebar.messageButton')}</button>
      </form>
      <nav class="conversations" aria-label={t('sidebar.conversations')}>
        {conversations.length === 0 && <p class="empty-list">{t('sidebar.empty')}</p>}
        <ul>
          {conversations.map((conv) => {
            const unread = unreadCount(conv);
            const last = lastMessage(conv);
            // A shared file shows as its name, not its long link.
            const file =
              last === undefined ? null : sharedFile(last.text, controller.client.fileHost, location.origin);
            const lastText = file !== null ? file.name : (last?.text ?? '');
            const preview =
              last === undefined
                ? conv.topic
                : last.self
                  ? t('sidebar.you', { text: lastText })
                  : `${conv.kind === 'room' ? `${last.from}: ` : ''}${lastText}`;
            const current = state.active === conv.key;
            return (
              <li key={conv.key}>
                <button
                  type="button"
                  class={`conversation${current ? ' current' : ''}${unread > 0 ? ' has-unread' : ''}`}
                  aria-current={current ? 'page' : undefined}
                  data-conversation={conv.name}
                  onClick={() => {
                    controller.open(conv.name);
                    props.onPicked();
                  }}
                >
                  <Avatar name={conv.name} />
                  <span class="conversation-text">
                    <span class="conversation-name">
                      {conv.name}
                      {conv.kind === 'private' && state.away[conv.key] && (
                        <span class="away-dot" aria-hidden="true" />
                      )}
                    </span>
                    <span class="preview">{preview}</span>
                  </span>
                  {unread > 0 && (
                    <>
                      <span class="badge" aria-hidden="true">
                        {unread}
                      </span>
                      <span class="visually-hidden">{t('sidebar.unread', { count: unread })}</span>
                    </>
                  )}
                </button>
              </li>
            );
          })}
        </ul>
      </nav>
      <footer class="sidebar-foot">
        <label class="check">
          <input
            type="checkbox"
            checked={away}
            onChange={(e) => controller.setAwayMessage(e.currentTarget.checked ? 'Away' : undefined)}
          />
          <span>{t('sidebar.away')}</span>
        </label>
        <NotificationsToggle controller={controller} />
        {controller.profilesAvailable &&
          (editingProfile ? (
            <ProfileEditor state={state} controller={controller} onClose={() => setEditingProfile(false)} />
          ) : (
            <button type="button" class="link-button profile-open" onClick={() => setEditingProfile(true)}>
              {t('profile.open')}
            </button>
          ))}
        {state.account !== null && (
          <button type="button" class="link-button sessions-open" onClick={props.onSessions}>
            {t('sessions.open')}
          </button>
        )}
        <LanguagePicker />
        <button type="button" class="link-button" onClick={props.onLogout}>
          {t('sidebar.logout')}
        </button>
        {!TOUCH_ONLY && <p class="shortcuts">{t('shortcuts')}</p>}
      </footer>
    </>
  );
}

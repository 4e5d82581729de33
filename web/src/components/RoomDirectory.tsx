/**
 * The room directory (the sidebar's "Browse rooms"): every room the server lists (IRC LIST),
 * busiest first, with its member count and topic; the search box narrows it by name or
 * topic as the person types, and one click joins a room (or opens it when already in).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RoomListing } from '../../../src/client/browser.js';
import type { Controller } from '../controller.js';
import { fold } from '../state/conversations.js';
import { filterRooms } from '../state/directory.js';
import { useI18n } from './i18n.js';

export function RoomDirectory(props: { controller: Controller; onClose: () => void; onJoined: () => void }) {
  const { controller } = props;
  const { t } = useI18n();
  const input = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState('');
  const [rooms, setRooms] = useState<RoomListing[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    input.current?.focus();
    let live = true;
    controller
      .listRooms()
      .then((r) => live && setRooms(r))
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [controller]);

  const shown = rooms === null ? [] : filterRooms(rooms, query);
  return (
    <div
      class="search-panel room-directory"
      role="dialog"
      aria-modal="true"
      aria-labelledby="directory-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          props.onClose();
        }
      }}
    >
      <header class="search-head">
        <h2 id="directory-title">{t('directory.title')}</h2>
        <button type="button" class="icon-button" aria-label={t('directory.close')} onClick={props.onClose}>
          ×
        </button>
      </header>
      <form class="search-form" onSubmit={(e) => e.preventDefault()}>
        <input
          ref={input}
          type="search"
          id="directory-search"
          aria-label={t('directory.search')}
          placeholder={t('directory.search')}
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </form>
      <div class="search-results" aria-live="polite" aria-busy={rooms === null && error === null}>
        {error !== null && <p role="alert">{t('directory.failed', { reason: error })}</p>}
        {rooms === null && error === null && <p>{t('directory.loading')}</p>}
        {rooms !== null && shown.length === 0 && <p>{t('directory.none')}</p>}
        <ul>
          {shown.map((r) => {
            const joined = controller.state.conversations[fold(r.name)]?.joined === true;
            return (
              <li key={r.name}>
                <button
                  type="button"
                  class="search-hit directory-room"
                  data-room={r.name}
                  onClick={() => {
                    controller.join(r.name);
                    props.onJoined();
                  }}
                >
                  <span class="hit-meta">
                    <span class="hit-where">{r.name}</span>
                    <span class="room-users">
                      {r.users === 1 ? t('header.membersOne') : t('header.membersCount', { count: r.users })}
                    </span>
                    <span class="room-action">{joined ? t('directory.open') : t('directory.join')}</span>
                  </span>
                  <span class="hit-text">{r.topic === '' ? t('header.topicPlaceholder') : r.topic}</span>
                </button>
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}

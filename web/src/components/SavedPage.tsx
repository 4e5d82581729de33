/**
 * What a reload shows while it logs in again: the conversation that was on screen, with the
 * messages this device saved of it (`session.ts` `SavedPage`), read only, under a
 * "Connecting…" banner. The live view replaces it with the same messages once connected,
 * so a person sees their history at once rather than after the login's round trips.
 */
import { useLayoutEffect, useMemo, useRef } from 'preact/hooks';
import type { SavedPage } from '../session.js';
import { foldEdits } from '../state/features.js';
import { groupEntries } from '../state/grouping.js';
import { Avatar } from './Avatar.js';
import { useI18n } from './i18n.js';
import { MessageText } from './MessageList.js';

export function SavedPageView(props: { page: SavedPage }) {
  const { t, lang } = useI18n();
  const { page } = props;
  const blocks = useMemo(
    () => groupEntries(foldEdits(page.entries)).filter((b) => b.kind === 'group'),
    [page],
  );
  const time = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
  const list = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (list.current !== null) list.current.scrollTop = list.current.scrollHeight;
  }, []);
  return (
    <div class="app saved-page" data-connection="connecting">
      <output class="banner">{t('login.connecting')}</output>
      {/* The list's place, empty until connected, so the live view does not shift the page. */}
      <aside class="sidebar" aria-hidden="true" />
      <main class="main">
        <div class="chat">
          <section class="conversation-pane" aria-labelledby="conversation-title" aria-busy="true">
            <header class="chat-head">
              <div class="title">
                <h1 id="conversation-title">{page.conversation}</h1>
              </div>
            </header>
            <div class="messages" ref={list}>
              <div class="messages-inner">
                {blocks.map((b) =>
                  b.kind !== 'group' ? null : (
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
                          <div class="message" key={e.id} data-msgid={e.msgid}>
                            <div class="text">
                              <MessageText entry={e} fileHost={page.fileHost} />
                            </div>
                          </div>
                        ))}
                      </div>
                    </article>
                  ),
                )}
              </div>
            </div>
          </section>
        </div>
      </main>
    </div>
  );
}

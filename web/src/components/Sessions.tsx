/**
 * The person's sessions (the sidebar's "Sessions and always-on"): each connection of the
 * account (client, address, since) with an "End" button for the others, and the account's
 * always-on switch. Both go through the server's SESSIONS command.
 */
import { useEffect, useState } from 'preact/hooks';
import type { SessionList } from '../../../src/client/browser.js';
import type { Controller } from '../controller.js';
import { useI18n } from './i18n.js';

export function Sessions(props: { controller: Controller; onClose: () => void }) {
  const { controller } = props;
  const { t } = useI18n();
  const [list, setList] = useState<SessionList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = (): Promise<void> =>
    controller
      .listSessions()
      .then((l) => setList(l))
      .catch((err: Error) => setError(err.message));

  useEffect(() => {
    void load();
  }, [controller]);

  const act = async (work: Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await work;
      await load();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div
      class="search-panel sessions-panel"
      role="dialog"
      aria-modal="true"
      aria-labelledby="sessions-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          props.onClose();
        }
      }}
    >
      <header class="search-head">
        <h2 id="sessions-title">{t('sessions.title')}</h2>
        <button type="button" class="icon-button" aria-label={t('sessions.close')} onClick={props.onClose}>
          ×
        </button>
      </header>
      <div class="search-results" aria-live="polite" aria-busy={list === null && error === null}>
        {error !== null && <p role="alert">{t('sessions.failed', { reason: error })}</p>}
        {list === null && error === null && <p>{t('sessions.loading')}</p>}
        {list !== null && (
          <>
            <label class="check always-on">
              <input
                type="checkbox"
                class="always-on-toggle"
                checked={list.alwaysOn === 'on'}
                disabled={busy || list.alwaysOn === 'unavailable'}
                onChange={(e) => void act(controller.setAlwaysOn(e.currentTarget.checked))}
              />
              <span>{t('sessions.alwaysOn')}</span>
            </label>
            {list.alwaysOn === 'unavailable' && <p>{t('sessions.alwaysOnUnavailable')}</p>}
            <ul class="session-list">
              {list.sessions.map((x) => (
                <li
                  key={x.id}
                  class="session"
                  data-session={x.id}
                  data-current={x.current ? 'true' : undefined}
                >
                  <span class="hit-meta">
                    <span class="hit-where session-client">{x.client}</span>
                    <span class="session-address">{x.address}</span>
                    <span class="session-since">
                      {t('sessions.since', { time: x.since.toLocaleString() })}
                    </span>
                    {x.current && <span class="session-this">{t('sessions.this')}</span>}
                  </span>
                  {!x.current && (
                    <button
                      type="button"
                      class="session-end"
                      disabled={busy}
                      aria-label={t('sessions.endLabel', { client: x.client, address: x.address })}
                      onClick={() => void act(controller.endSession(x.id))}
                    >
                      {t('sessions.end')}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}

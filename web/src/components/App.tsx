/**
 * The whole page: the login screen until connected, then the sidebar and the open
 * conversation. Handles the page-wide keys: Alt+↑/↓ to switch conversations, Esc to close
 * the drawer or the member list.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import {
  type Controller,
  LoginError,
  type LoginFailure,
  type LoginRequest,
  login,
  restore,
} from '../controller.js';
import { type Language, pickLanguage, translate } from '../i18n.js';
import { clearSession, loadConversations, loadPage, loadSession, type SavedPage } from '../session.js';
import { fold, neighbour } from '../state/conversations.js';
import { useStore } from '../store.js';
import { ChatView } from './ChatView.js';
import { MenuIcon } from './Icons.js';
import { type I18n, I18nContext, useI18n } from './i18n.js';
import { Login } from './Login.js';
import { RoomDirectory } from './RoomDirectory.js';
import { SavedPageView } from './SavedPage.js';
import { SearchPanel } from './Search.js';
import { Sidebar } from './Sidebar.js';

const LANG_KEY = 'tertulia.lang';

function initialLanguage(): Language {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved === 'en' || saved === 'es') return saved;
  } catch {
    // storage blocked: follow the browser
  }
  return pickLanguage(navigator.languages ?? [navigator.language]);
}

function Main(props: { controller: Controller; onLogout: () => void }) {
  const { controller } = props;
  const state = useStore(controller.store);
  const { t } = useI18n();
  const [drawer, setDrawer] = useState(false);
  const [searching, setSearching] = useState(false);
  const [browsing, setBrowsing] = useState(false);
  const [members, setMembers] = useState(() => window.matchMedia?.('(min-width: 1100px)').matches ?? true);
  const conv = state.active === null ? undefined : state.conversations[state.active];

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setDrawer(false);
        setSearching(true);
      } else if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        e.preventDefault();
        const next = neighbour(controller.state, e.key === 'ArrowUp' ? -1 : 1);
        if (next !== null) controller.open(controller.state.conversations[next]!.name);
      } else if (e.key === 'Escape') {
        if (drawer) setDrawer(false);
        else if (members && window.matchMedia?.('(max-width: 1099px)').matches) setMembers(false);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [controller, drawer, members]);

  return (
    <div class={`app${drawer ? ' drawer-open' : ''}`} data-connection={state.connection}>
      {state.connection !== 'online' && <output class="banner">{t(`conn.${state.connection}`)}</output>}
      <aside class="sidebar" aria-label={t('sidebar.conversations')}>
        <Sidebar
          state={state}
          controller={controller}
          onPicked={() => setDrawer(false)}
          onLogout={props.onLogout}
          onSearch={() => {
            setDrawer(false);
            setSearching(true);
          }}
          onDirectory={() => {
            setDrawer(false);
            setBrowsing(true);
          }}
        />
      </aside>
      {searching && <SearchPanel controller={controller} onClose={() => setSearching(false)} />}
      {browsing && (
        <RoomDirectory
          controller={controller}
          onClose={() => setBrowsing(false)}
          onJoined={() => setBrowsing(false)}
        />
      )}
      {drawer && <div class="scrim" onClick={() => setDrawer(false)} aria-hidden="true" />}
      <main class="main">
        {conv !== undefined ? (
          <ChatView
            state={state}
            conv={conv}
            controller={controller}
            showMembers={members}
            onToggleMembers={() => setMembers(!members)}
            onMenu={() => setDrawer(true)}
          />
        ) : (
          <div class="welcome">
            <button
              type="button"
              class="icon-button menu"
              aria-label={t('header.menu')}
              onClick={() => setDrawer(true)}
            >
              <MenuIcon />
            </button>
            <h1>{t('empty.title', { nick: state.me })}</h1>
            <p>{t('empty.text')}</p>
          </div>
        )}
      </main>
    </div>
  );
}

/** The saved page of the conversation a saved session had on screen, if any. */
function restoringPage(): SavedPage | null {
  const saved = loadSession();
  if (saved === null) return null;
  const identity = saved.account ?? saved.nick;
  const page = loadPage(identity);
  const active = loadConversations(identity).active;
  return page !== null && active !== null && fold(page.conversation) === fold(active) ? page : null;
}

export function App() {
  const [lang, setLangState] = useState<Language>(initialLanguage);
  const [controller, setController] = useState<Controller | null>(null);
  const [restoring, setRestoring] = useState(() => loadSession() !== null);
  const [restoreError, setRestoreError] = useState<LoginFailure | null>(null);
  // Shown while a reload logs in again: the conversation that was on screen, as saved.
  const [savedPage] = useState(restoringPage);

  const setLang = useCallback((l: Language) => {
    setLangState(l);
    try {
      localStorage.setItem(LANG_KEY, l);
    } catch {
      // not remembered; still switched
    }
  }, []);
  const i18n: I18n = { lang, setLang, t: (key, vars) => translate(lang, key, vars) };

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  // A saved session (reload, second tab with "remember me") reconnects by itself. A nick
  // still held by the page's previous connection frees up within moments: retry a little.
  useEffect(() => {
    const saved = loadSession();
    if (saved === null) return;
    let cancelled = false;
    const attempt = async (n: number): Promise<void> => {
      try {
        const c = await restore(saved);
        if (cancelled) c.logout();
        else setController(c);
      } catch (err) {
        const f = err instanceof LoginError ? err.failure : null;
        if (!cancelled && f?.kind === 'nickInUse' && n < 5) {
          await new Promise((r) => setTimeout(r, 1000));
          return attempt(n + 1);
        }
        if (!cancelled) {
          setRestoreError(f);
          setRestoring(false);
        }
      }
    };
    attempt(1);
    return () => {
      cancelled = true;
    };
  }, []);

  const onLogin = async (req: LoginRequest) => {
    setController(await login(req));
  };
  const onLogout = () => {
    clearSession();
    controller?.logout().finally(() => setController(null));
    setRestoring(false);
  };

  return (
    <I18nContext.Provider value={i18n}>
      {controller !== null ? (
        <Main controller={controller} onLogout={onLogout} />
      ) : restoring && savedPage !== null ? (
        <SavedPageView page={savedPage} />
      ) : restoring ? (
        <main class="login">
          <output class="login-card">{translate(lang, 'login.connecting')}</output>
        </main>
      ) : (
        <Login onLogin={onLogin} initialError={restoreError} initialNick={loadSession()?.nick ?? ''} />
      )}
    </I18nContext.Provider>
  );
}

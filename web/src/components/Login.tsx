/** The first screen: a guest name, or an account to log in to or create. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { LoginError, type LoginFailure, type LoginMode, type LoginRequest } from '../controller.js';
import { ChatIcon } from './Icons.js';
import { useI18n } from './i18n.js';
import { LanguagePicker } from './LanguagePicker.js';

export function Login(props: {
  onLogin: (req: LoginRequest) => Promise<void>;
  initialError: LoginFailure | null;
  initialNick: string;
}) {
  const { t } = useI18n();
  const [mode, setMode] = useState<LoginMode>('guest');
  const [nick, setNick] = useState(props.initialNick);
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<LoginFailure | null>(props.initialError);
  const nickInput = useRef<HTMLInputElement>(null);
  // Start where the person types: the name field.
  useEffect(() => nickInput.current?.focus(), []);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (busy || nick.trim() === '') return;
    setBusy(true);
    setFailure(null);
    try {
      await props.onLogin({ mode, nick: nick.trim(), password, remember });
    } catch (err) {
      setFailure(err instanceof LoginError ? err.failure : { kind: 'unreachable', reason: String(err) });
      setBusy(false);
    }
  };

  const message = (f: LoginFailure): string => {
    switch (f.kind) {
      case 'nickInUse':
        return t('login.error.nickInUse', { nick: f.nick });
      case 'nickRegistered':
        return t('login.error.nickRegistered', { nick: f.nick });
      case 'invalidNick':
        return t('login.error.invalidNick', { nick: f.nick });
      case 'auth':
        return t('login.error.auth');
      case 'register':
        return t('login.error.register', { reason: f.reason });
      case 'unreachable':
        return t('login.error.unreachable', { reason: f.reason });
    }
  };

  const tabs: LoginMode[] = ['guest', 'login', 'register'];
  const tabLabel = { guest: t('login.guest'), login: t('login.login'), register: t('login.register') };
  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div class="login-brand">
          <ChatIcon />
        </div>
        <h1 id="login-title">{t('login.title')}</h1>
        <fieldset class="tabs">
          <legend class="visually-hidden">{t('login.title')}</legend>
          {tabs.map((m) => (
            <label class={mode === m ? 'tab selected' : 'tab'} key={m}>
              <input
                type="radio"
                name="mode"
                value={m}
                class="visually-hidden"
                checked={mode === m}
                onChange={() => setMode(m)}
              />
              {tabLabel[m]}
            </label>
          ))}
        </fieldset>
        <label class="field">
          <span>{mode === 'guest' ? t('login.nick') : t('login.account')}</span>
          <input
            name="nick"
            autoComplete="username"
            required
            maxLength={30}
            value={nick}
            onInput={(e) => setNick(e.currentTarget.value)}
            ref={nickInput}
          />
        </label>
        {mode !== 'guest' && (
          <label class="field">
            <span>{t('login.password')}</span>
            <input
              name="password"
              type="password"
              required
              autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
        )}
        <label class="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
          <span>{t('login.remember')}</span>
        </label>
        {failure !== null && (
          <p class="error" role="alert">
            {message(failure)}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy}>
          {busy ? t('login.connecting') : t(`login.submit.${mode}`)}
        </button>
        {mode === 'guest' && <p class="note">{t('login.guestNote')}</p>}
        <LanguagePicker />
      </form>
    </main>
  );
}

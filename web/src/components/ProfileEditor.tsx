/**
 * One's own profile (IRCv3 draft/metadata-2): display name, status text and avatar, which
 * the people one shares a room with see in the member list and on messages. The avatar is an
 * image uploaded through the server's file host, so it needs an account like any upload.
 */
import { useState } from 'preact/hooks';
import type { Controller } from '../controller.js';
import type { State } from '../state/model.js';
import { avatarUrl, profileOf } from '../state/profiles.js';
import { Avatar } from './Avatar.js';
import { useI18n } from './i18n.js';

export function ProfileEditor(props: { state: State; controller: Controller; onClose: () => void }) {
  const { state, controller } = props;
  const { t } = useI18n();
  const mine = profileOf(state, state.me);
  const [name, setName] = useState(mine?.displayName ?? '');
  const [status, setStatus] = useState(mine?.status ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const canUpload = controller.uploadBlocker === null;
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await work();
      setSaved(true);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="profile-editor"
      aria-label={t('profile.title')}
      onSubmit={(e) => {
        e.preventDefault();
        void run(() => controller.saveProfile(name, status));
      }}
    >
      <h2>{t('profile.title')}</h2>
      <div class="profile-avatar">
        <Avatar name={state.me} src={avatarUrl(mine, window.location.origin)} />
        {canUpload ? (
          <label class="link-button">
            {t('profile.avatar')}
            <input
              type="file"
              accept="image/png,image/jpeg,image/gif,image/webp"
              class="visually-hidden"
              disabled={busy}
              onChange={(e) => {
                const file = e.currentTarget.files?.[0];
                e.currentTarget.value = '';
                if (file !== undefined) void run(() => controller.setAvatar(file));
              }}
            />
          </label>
        ) : (
          <small>{t('profile.avatarNeedsAccount')}</small>
        )}
        {mine?.avatar !== undefined && (
          <button
            type="button"
            class="link-button"
            disabled={busy}
            onClick={() => void run(() => controller.clearAvatar())}
          >
            {t('profile.avatarRemove')}
          </button>
        )}
      </div>
      <label>
        {t('profile.displayName')}
        <input
          type="text"
          name="display-name"
          value={name}
          maxLength={100}
          placeholder={state.me}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <label>
        {t('profile.status')}
        <input
          type="text"
          name="status"
          value={status}
          maxLength={100}
          placeholder={t('profile.statusPlaceholder')}
          onInput={(e) => setStatus(e.currentTarget.value)}
        />
      </label>
      <div class="profile-actions">
        <button type="submit" disabled={busy}>
          {t('profile.save')}
        </button>
        <button type="button" class="link-button" onClick={props.onClose}>
          {t('profile.close')}
        </button>
      </div>
      {saved && <output>{t('profile.saved')}</output>}
      {error !== null && (
        <p class="push-error" role="alert">
          {t('profile.failed', { reason: error })}
        </p>
      )}
    </form>
  );
}

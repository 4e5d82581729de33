/**
 * The one "Notifications on this device" switch at the foot of the list: Web Push for an
 * account when the server offers it (also when the app is closed), else the page's own
 * notifications while its tab is in the background. A line under it says which.
 */
import { useState } from 'preact/hooks';
import type { Controller } from '../controller.js';
import { useI18n } from './i18n.js';

export function NotificationsToggle(props: { controller: Controller }) {
  const { controller } = props;
  const { t } = useI18n();
  const [on, setOn] = useState(() => controller.notificationsOn);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (typeof Notification === 'undefined') return null;
  const blocked = Notification.permission === 'denied';
  const toggle = async (want: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await controller.setNotifications(want);
      setOn(want);
    } catch (err) {
      setOn(false);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="notifications">
      <label class="check">
        <input
          type="checkbox"
          class="notify-toggle"
          checked={on && !blocked}
          disabled={busy || blocked}
          aria-describedby="notify-hint"
          onChange={(e) => void toggle(e.currentTarget.checked)}
        />
        <span>{t('notify.toggle')}</span>
      </label>
      <p id="notify-hint" class="notify-hint">
        {blocked
          ? t('notify.blocked')
          : controller.pushAvailable
            ? t('notify.hint.push')
            : t('notify.hint.tab')}
      </p>
      {error !== null && (
        <p class="push-error" role="alert">
          {t('notify.failed', { reason: error })}
        </p>
      )}
    </div>
  );
}

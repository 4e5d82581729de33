import { LANGUAGES, type Language } from '../i18n.js';
import { useI18n } from './i18n.js';

const NAMES: Record<Language, string> = { en: 'English', es: 'Español' };

export function LanguagePicker() {
  const { lang, setLang, t } = useI18n();
  return (
    <label class="language">
      <span>{t('sidebar.language')}</span>
      <select value={lang} onChange={(e) => setLang(e.currentTarget.value as Language)}>
        {(Object.keys(LANGUAGES) as Language[]).map((l) => (
          <option value={l} key={l}>
            {NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}

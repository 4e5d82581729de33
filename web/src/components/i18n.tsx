/** The current language for every component, and the switch between languages. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { type Language, type MessageKey, translate } from '../i18n.js';

export interface I18n {
  lang: Language;
  t: (key: MessageKey, vars?: Record<string, string | number>) => string;
  setLang: (lang: Language) => void;
}

export const I18nContext = createContext<I18n>({
  lang: 'en',
  t: (key, vars) => translate('en', key, vars),
  setLang: () => {},
});

export function useI18n(): I18n {
  return useContext(I18nContext);
}

/**
 * The search panel (Ctrl+K, or the sidebar's button): a query, results best first with
 * where and who and when, the words found marked, "more" for the next page; picking a result
 * opens its conversation at that message.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Controller, SearchCursor, SearchResult } from '../controller.js';
import { highlightSegments } from '../state/features.js';
import { TOUCH_ONLY } from '../touch.js';
import { useI18n } from './i18n.js';

export function SearchPanel(props: { controller: Controller; onClose: () => void }) {
  const { controller } = props;
  const { t, lang } = useI18n();
  const input = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState('');
  const [asked, setAsked] = useState('');
  const [results, setResults] = useState<SearchResult[]>([]);
  const [next, setNext] = useState<SearchCursor | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  useEffect(() => {
    input.current?.focus();
  }, []);

  const run = async (q: string, cursor: SearchCursor | null) => {
    const mine = ++seq.current;
    setBusy(true);
    setError(null);
    try {
      const page = await controller.search(q, cursor);
      if (mine !== seq.current) return;
      setAsked(q);
      setResults((had) => {
        const base = cursor === null ? [] : had;
        const seen = new Set(base.map((r) => r.msgid));
        return [...base, ...page.results.filter((r) => !seen.has(r.msgid))];
      });
      setNext(page.next);
    } catch (err) {
      if (mine === seq.current) setError((err as Error).message);
    } finally {
      if (mine === seq.current) setBusy(false);
    }
  };

  const when = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <div
      class="search-panel"
      role="dialog"
      aria-modal="true"
      aria-labelledby="search-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          props.onClose();
        }
      }}
    >
      <header class="search-head">
        <h2 id="search-title">{t('search.title')}</h2>
        <button type="button" class="icon-button" aria-label={t('search.close')} onClick={props.onClose}>
          ×
        </button>
      </header>
      <form
        class="search-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (query.trim() !== '') void run(query.trim(), null);
        }}
      >
        <input
          ref={input}
          type="search"
          id="search-input"
          aria-label={t('search.title')}
          aria-describedby="search-help"
          placeholder={t(TOUCH_ONLY ? 'search.placeholderTouch' : 'search.placeholder')}
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <button type="submit" class="primary">
          {t('search.submit')}
        </button>
      </form>
      <p id="search-help" class="search-help">
        {t('search.help')}
      </p>
      <div class="search-results" aria-live="polite" aria-busy={busy}>
        {error !== null && <p role="alert">{t('search.failed', { reason: error })}</p>}
        {!busy && error === null && asked !== '' && results.length === 0 && <p>{t('search.none')}</p>}
        <ol>
          {results.map((r) => (
            <li key={r.msgid}>
              <button
                type="button"
                class="search-hit"
                data-msgid={r.msgid}
                onClick={() => {
                  props.onClose();
                  void controller.jumpTo(r.conversation, r.msgid);
                }}
              >
                <span class="hit-meta">
                  <span class="hit-where">{r.conversation}</span>
                  <span class="hit-from">{r.from}</span>
                  <time dateTime={new Date(r.time).toISOString()}>{when.format(r.time)}</time>
                </span>
                <span class="hit-text">
                  {highlightSegments(r.text, r.highlights).map((seg, i) =>
                    seg.mark ? <mark key={i}>{seg.text}</mark> : seg.text,
                  )}
                </span>
              </button>
            </li>
          ))}
        </ol>
        {busy && <p>{t('search.searching')}</p>}
        {!busy && next !== null && (
          <button type="button" class="link-button" onClick={() => void run(asked, next)}>
            {t('search.more')}
          </button>
        )}
      </div>
    </div>
  );
}

/**
 * Where messages are written: Enter sends, Shift+Enter adds a line (a pasted or typed
 * multi-line text goes as one message), the draft is kept per conversation, typing is
 * announced (+typing), and files go by button, paste or drop. Replying to or editing a
 * message shows above it, Esc cancels; Up in an empty composer edits one's last message.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { checkComposerLine } from '../composer-commands.js';
import type { Controller } from '../controller.js';
import { findMessage, firstLine, foldEdits, lastOwnMessage } from '../state/features.js';
import type { Conversation } from '../state/model.js';
import { TOUCH_ONLY } from '../touch.js';
import { PaperclipIcon } from './Icons.js';
import { useI18n } from './i18n.js';

export function Composer(props: { conv: Conversation; controller: Controller; disabled: boolean }) {
  const { conv, controller } = props;
  const { t } = useI18n();
  const input = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const blocker = controller.uploadBlocker;

  // Focus the composer when a conversation is opened (keyboard users land where they type),
  // and when a reply or an edit starts.
  useEffect(() => {
    input.current?.focus();
  }, [conv.key, conv.compose]);
  const shown = useMemo(() => foldEdits(conv.entries), [conv.entries]);
  const mode = conv.compose;
  const target = mode === null ? undefined : findMessage(shown, mode.msgid);

  const [notice, setNotice] = useState<string | null>(null);
  const send = () => {
    const text = input.current?.value ?? conv.draft;
    if (text.trim() === '') return;
    // Unknown commands, /help and a command missing its argument are answered here.
    const check = checkComposerLine(text);
    if (check !== null) {
      if (check.kind === 'help') {
        setNotice(t('commands.help'));
        controller.setDraft(conv.name, '');
      } else if (check.kind === 'unknown') setNotice(t('commands.unknown', { command: check.command }));
      else setNotice(t('commands.usage', { command: check.command, argument: check.argument }));
      return;
    }
    setNotice(null);
    controller.send(conv.name, text);
    controller.setDraft(conv.name, '');
  };

  const rows = Math.min(6, conv.draft.split('\n').length);
  return (
    <form
      class={`composer${mode !== null ? ' composing' : ''}`}
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {notice !== null && (
        <output class="composer-notice">
          {notice}
          <button type="button" class="link-button" onClick={() => setNotice(null)}>
            {t('upload.dismiss')}
          </button>
        </output>
      )}
      {mode !== null && (
        <div class="compose-mode" id="compose-mode">
          <span class="compose-what">
            {mode.kind === 'reply'
              ? t('compose.replying', { from: target?.from ?? '…', text: firstLine(target?.text ?? '', 60) })
              : t('compose.editing')}
          </span>
          <button
            type="button"
            class="icon-button compose-cancel"
            aria-label={t(TOUCH_ONLY ? 'compose.cancelTouch' : 'compose.cancel')}
            title={t(TOUCH_ONLY ? 'compose.cancelTouch' : 'compose.cancel')}
            onClick={() => controller.compose(conv.name, null)}
          >
            ×
          </button>
        </div>
      )}
      <button
        type="button"
        class="icon-button attach"
        disabled={blocker !== null || props.disabled}
        aria-label={t('composer.attach')}
        aria-describedby={blocker !== null ? 'attach-why' : undefined}
        title={
          blocker === 'guest'
            ? t('composer.attachGuest')
            : blocker === 'unavailable'
              ? t('composer.attachUnavailable')
              : t('composer.attach')
        }
        onClick={() => picker.current?.click()}
      >
        <PaperclipIcon />
      </button>
      {blocker !== null && (
        <span id="attach-why" class="visually-hidden">
          {blocker === 'guest' ? t('composer.attachGuest') : t('composer.attachUnavailable')}
        </span>
      )}
      <input
        ref={picker}
        type="file"
        multiple
        hidden
        data-testid="file-input"
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          e.currentTarget.value = '';
          if (files.length > 0) controller.sendFiles(conv.name, files);
        }}
      />
      <label class="visually-hidden" for="composer-input">
        {t('composer.placeholder', { name: conv.name })}
      </label>
      <textarea
        id="composer-input"
        ref={input}
        rows={rows}
        placeholder={
          props.disabled ? t('composer.notJoined') : t('composer.placeholder', { name: conv.name })
        }
        aria-describedby={mode !== null ? 'compose-mode composer-hint' : 'composer-hint'}
        value={conv.draft}
        disabled={props.disabled}
        onInput={(e) => controller.setDraft(conv.name, e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          } else if (e.key === 'Escape' && mode !== null) {
            e.preventDefault();
            e.stopPropagation();
            controller.compose(conv.name, null);
          } else if (e.key === 'ArrowUp' && e.currentTarget.value === '' && !e.altKey && mode === null) {
            const mine = lastOwnMessage(shown);
            if (mine?.msgid !== undefined && controller.client.caps.has('message-tags')) {
              e.preventDefault();
              controller.compose(conv.name, { kind: 'edit', msgid: mine.msgid });
            }
          }
        }}
        onPaste={(e) => {
          const files = [...(e.clipboardData?.files ?? [])];
          if (files.length > 0 && blocker === null) {
            e.preventDefault();
            controller.sendFiles(conv.name, files);
          }
        }}
      />
      <span id="composer-hint" class="visually-hidden">
        {t('composer.hint')}
      </span>
      <button type="submit" class="primary send" disabled={props.disabled}>
        {t('composer.send')}
      </button>
    </form>
  );
}

/** Who is in a room, operators first, each online or away; a name opens a private conversation. */
import type { Controller } from '../controller.js';
import type { Conversation, State } from '../state/model.js';
import { avatarUrl, profileOf } from '../state/profiles.js';
import { Avatar } from './Avatar.js';
import { useI18n } from './i18n.js';

const RANK = '~&@%+';

function rank(prefixes: string): number {
  const i = RANK.indexOf(prefixes[0] ?? '');
  return i === -1 ? RANK.length : i;
}

export function Members(props: { conv: Conversation; state: State; controller: Controller }) {
  const { t } = useI18n();
  const members = Object.values(props.conv.members).sort(
    (a, b) => rank(a.prefixes) - rank(b.prefixes) || a.nick.localeCompare(b.nick),
  );
  return (
    <section class="members" aria-labelledby="members-title">
      <h2 id="members-title">
        {t('members.title')} <span class="count">{members.length}</span>
      </h2>
      <ul>
        {members.map((m) => {
          const away = props.state.away[m.nick.toLowerCase()] ?? false;
          const me = m.nick.toLowerCase() === props.state.me.toLowerCase();
          // Their profile (draft/metadata-2): display name with the nick beside it, and status.
          const profile = profileOf(props.state, m.nick);
          const display = profile?.displayName;
          return (
            <li key={m.nick}>
              <button
                type="button"
                class="member"
                disabled={me}
                aria-label={`${display === undefined ? m.nick : `${display} (${m.nick})`}, ${away ? t('members.away') : t('members.online')}${me ? '' : ` — ${t('members.message', { nick: m.nick })}`}`}
                onClick={() => props.controller.openPrivate(m.nick)}
              >
                <Avatar name={m.nick} size="small" src={avatarUrl(profile, window.location.origin)} />
                <span class="member-name">
                  {m.prefixes !== '' && <span class="prefix">{m.prefixes[0]}</span>}
                  {display ?? m.nick}
                  {display !== undefined && <span class="member-nick"> {m.nick}</span>}
                  {profile?.status !== undefined && <span class="member-status">{profile.status}</span>}
                </span>
                <span class={away ? 'status away' : 'status online'} data-status={away ? 'away' : 'online'}>
                  {away ? t('members.away') : t('members.online')}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/**
 * The text HELP answers with (commands/help.ts): one topic per command the server knows,
 * plus a few concepts. Plain English, one line per reply, each well under the line limit.
 * A command added to the table without a topic here fails test/integration/help.test.ts.
 */
export const HELP_TOPICS: Readonly<Record<string, readonly string[]>> = {
  AUTHENTICATE: [
    'AUTHENTICATE <mechanism> | <base64> | * (IRCv3 sasl)',
    'Logs in to an account with SASL: PLAIN, SCRAM-SHA-256, or',
    'EXTERNAL with a TLS client certificate. Negotiate the sasl capability first. * aborts.',
  ],
  AWAY: [
    'AWAY [:<message>]',
    'Marks you away with a message others see in WHOIS and when they message you.',
    'AWAY with no message marks you back.',
  ],
  BATCH: [
    'BATCH +<ref> draft/multiline <target> ... BATCH -<ref> (IRCv3 draft/multiline)',
    'Sends one message of several lines: PRIVMSGs tagged batch=<ref> between the two BATCH lines.',
    'A line tagged draft/multiline-concat continues the previous one without a line break.',
  ],
  BOT: [
    'Bot mode (user mode +B)',
    'MODE <yournick> +B marks you as a bot: WHOIS shows it (335), WHO shows a B flag,',
    'and your messages carry the bot tag for clients with message-tags.',
  ],
  CAP: [
    'CAP LS [302] | LIST | REQ :<caps> | END (IRCv3 capability negotiation)',
    'Lists, requests and ends the negotiation of optional protocol features.',
    'CAP LS suspends registration until CAP END.',
  ],
  CHATHISTORY: [
    'CHATHISTORY LATEST|BEFORE|AFTER|AROUND <target> <ref> <limit>',
    'CHATHISTORY BETWEEN <target> <ref> <ref> <limit> | TARGETS <timestamp> <timestamp> <limit>',
    'Reads stored history of a room you are in or a private conversation of yours.',
    'A reference is * (LATEST only), timestamp=<ISO 8601> or msgid=<id>.',
  ],
  CHGHOST: [
    'CHGHOST <nick> <user> <host> (operators only)',
    'Changes the user name and host others see for a user.',
  ],
  HELP: [
    'HELP [<subject>]',
    'Shows help on a command or subject; HELP alone lists every subject.',
    'HELPOP is the same command.',
  ],
  HELPOP: ['HELPOP [<subject>]', 'The same as HELP.'],
  INFO: ['INFO', 'Shows what this server is and how long it has been running.'],
  INVITE: [
    'INVITE <nick> <channel> | INVITE',
    'Invites someone to a channel (an operator must invite to a +i channel).',
    'INVITE with no parameters lists the channels you have been invited to.',
  ],
  ISON: ['ISON <nick> [<nick> ...]', 'Replies with those of the nicks that are online.'],
  JOIN: [
    'JOIN <channel>[,<channel>...] [<key>[,<key>...]] | JOIN 0',
    'Joins channels, creating those that do not exist (you become their operator).',
    'JOIN 0 leaves every channel.',
  ],
  KICK: [
    'KICK <channel> <nick>[,<nick>...] [:<reason>]',
    'Removes people from a channel (channel operators only).',
  ],
  KILL: ['KILL <nick> :<reason> (operators only)', 'Disconnects a user from the server.'],
  LINKS: [
    'LINKS [[<server>] <mask>]',
    'Lists the servers of this network whose names match <mask> (* and ? wildcards).',
  ],
  LIST: [
    'LIST [<channel>[,...]] [<condition>]',
    'Lists channels with their member counts and topics. Secret channels are not shown.',
    'Conditions (ELIST): >n, <n members; C>n, C<n created; T>n, T<n topic age in minutes; a mask.',
  ],
  LUSERS: ['LUSERS', 'Shows how many users, operators and channels there are.'],
  MARKREAD: [
    'MARKREAD <target> [timestamp=<ISO 8601>] (IRCv3 draft/read-marker)',
    "Gets or sets how far you have read a conversation. Logged in, the marker is your account's;",
    'otherwise it lasts for this connection.',
  ],
  MODE: [
    'MODE <channel> [<modes> [<parameters>]] | MODE <yournick> [<modes>]',
    'Channel modes: b ban, e ban exception, I invite exception, k key, l limit, i invite only,',
    'm moderated, n no outside messages, s secret, t topic lock, C no CTCP, o operator, v voice.',
    'Extended bans: m:<mask> mutes, a:<account> matches an account. User modes: i, w, o, B (bot).',
  ],
  METADATA: [
    'METADATA <target> GET|LIST|SET|CLEAR|SUB|UNSUB|SUBS|SYNC ... (IRCv3 draft/metadata-2)',
    'Profile keys of users and rooms: METADATA * SET display-name :Ana sets yours,',
    'METADATA <nick> GET status reads theirs, METADATA * SUB avatar follows a key.',
    "Target * is you; a room's keys are set by its operators.",
  ],
  MONITOR: [
    'MONITOR + <nicks> | - <nicks> | C | L | S',
    'Tells you when the nicks you follow come online or leave (730, 731).',
  ],
  MOTD: ['MOTD', 'Shows the message of the day.'],
  NAMES: ['NAMES <channel>[,<channel>...]', 'Lists who is in channels (operators @, voiced +).'],
  NICK: ['NICK <nick>', 'Sets or changes your nick.'],
  NOTICE: [
    'NOTICE <target>[,<target>...] :<text>',
    'Like PRIVMSG, but never answered automatically, not even with an error.',
  ],
  OPER: ['OPER <name> <password>', 'Gives you server operator privileges.'],
  PART: ['PART <channel>[,<channel>...] [:<reason>]', 'Leaves channels.'],
  PASS: ['PASS <password>', 'The server password, when there is one; send it before NICK and USER.'],
  PING: ['PING <token>', 'The server answers PONG <token>.'],
  PONG: ['PONG <token>', "The answer to the server's PING."],
  PRIVMSG: [
    'PRIVMSG <target>[,<target>...] :<text>',
    'Sends a message to a channel or a nick. @#channel reaches only its operators,',
    '+#channel its voiced members and operators (STATUSMSG). Long text is cut to fit a line.',
  ],
  QUIT: ['QUIT [:<reason>]', 'Disconnects, telling the people you share channels with.'],
  REDACT: [
    'REDACT <target> <msgid> [:<reason>] (IRCv3 draft/message-redaction)',
    'Deletes a message: your own, or any in a channel you operate.',
  ],
  REGISTER: [
    'REGISTER <account> {<email> | *} <password> (IRCv3 draft/account-registration)',
    'Creates an account and logs you in. Use * for your current nick.',
  ],
  RENAME: [
    'RENAME <channel> <new name> [:<reason>] (IRCv3 draft/channel-rename)',
    'Renames a channel (channel operators only); its members stay in it.',
  ],
  SEARCH: [
    'SEARCH <attributes> (soju.im/search)',
    'Searches the history you may read, e.g. SEARCH text=lunch;in=#lobby;limit=20.',
  ],
  SESSIONS: [
    'SESSIONS [LIST] | END <id> | ALWAYS-ON ON|OFF',
    'Lists the connections of your account (client, address, since), ends one of them,',
    'or turns always-on on or off. /msg NickServ SESSIONS says the same in words.',
  ],
  SETNAME: ['SETNAME :<real name> (IRCv3 setname)', 'Changes your real name.'],
  TAGMSG: ['TAGMSG <target>', 'Sends only tags (typing notifications, reactions) to a channel or nick.'],
  TIME: ['TIME', "Shows the server's time."],
  TOPIC: [
    'TOPIC <channel> [:<topic>]',
    "Shows or sets a channel's topic (operators only under +t). An empty topic clears it.",
  ],
  USER: ['USER <username> 0 * :<real name>', 'Gives your user name and real name at registration.'],
  USERHOST: ['USERHOST <nick> [<nick> ...]', 'Shows the user and host of up to five nicks.'],
  VERSION: ['VERSION', "Shows the server's version and what it supports (005)."],
  WALLOPS: ['WALLOPS :<text> (operators only)', 'Sends a message to everyone with user mode +w.'],
  WEBPUSH: [
    'WEBPUSH REGISTER <endpoint> <keys> | UNREGISTER <endpoint> (IRCv3 draft/webpush)',
    'Subscribes a browser to push notifications for your account.',
  ],
  WHO: [
    'WHO <mask> [%<fields>]',
    'Lists users matching a channel or mask. %fields asks for WHOX replies (354).',
  ],
  WHOIS: ['WHOIS <nick>', 'Shows who someone is: user, host, real name, channels, account, idle time.'],
  WHOWAS: ['WHOWAS <nick> [<count>]', 'Shows who recently used a nick.'],
};

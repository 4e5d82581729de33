/**
 * What a new person meets in the web client (issue 17): a room directory to discover rooms
 * (IRC LIST) and join one with a click, and the server's rooms to land in. Real server, real headless Chromium, and plain IRC
 * clients making the rooms there are to find.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { conversationButton, loginAccount, loginGuest, newUser, screenshot } from '../helpers/browser.js';
import { TestClient } from '../helpers/client.js';
import { webSuite } from '../helpers/web-suite.js';

describe('a first visit to the web client in Chromium', { timeout: 180_000 }, () => {
  const web = webSuite();

  // RFC 2812 §3.2.6 LIST: the directory shows what the server lists, with counts and topics.
  test('the room directory lists rooms with member counts and topics, filters by name or topic, and joins with a click', async () => {
    const ana = await TestClient.register(web.srv.port, 'ana');
    const ben = await TestClient.register(web.srv.port, 'ben');
    web.irc.push(ana, ben);
    ana.send('JOIN #huerta');
    ben.send('JOIN #huerta');
    ana.send('JOIN #ajedrez');
    await ben.until((m) => m.command === 'JOIN' && m.params[0] === '#huerta');
    ana.send('TOPIC #huerta :tomates y calabazas');
    ana.send('TOPIC #ajedrez :partidas los jueves');
    await ana.until((m) => m.command === 'TOPIC' && m.params[0] === '#ajedrez');

    const luz = await web.user();
    await loginGuest(luz, web.base, 'luz');
    const page = luz.page;
    await page.locator('button.directory-open', { hasText: 'Browse rooms' }).click();
    const dialog = page.locator('.room-directory[role=dialog]');
    await dialog.locator('h2', { hasText: 'Rooms on this server' }).waitFor();
    const huerta = dialog.locator('button.directory-room[data-room="#huerta"]');
    await huerta.waitFor();
    assert.match(await huerta.innerText(), /2 members/);
    assert.match(await huerta.innerText(), /tomates y calabazas/);
    assert.doesNotMatch(await huerta.innerText(), /\[\+/, 'no raw mode prefix in the topic');
    const ajedrez = dialog.locator('button.directory-room[data-room="#ajedrez"]');
    assert.match(await ajedrez.innerText(), /1 member\b/);
    assert.match(await ajedrez.innerText(), /partidas los jueves/);
    // Busiest first.
    const order = await dialog
      .locator('button.directory-room')
      .evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { room: string } }).dataset.room));
    assert.ok(order.indexOf('#huerta') < order.indexOf('#ajedrez'), order.join(' '));
    await screenshot(page, 'room-directory');

    // The search box narrows by topic words as well as by name.
    await page.fill('#directory-search', 'jueves');
    await ajedrez.waitFor();
    await huerta.waitFor({ state: 'detached' });
    await page.fill('#directory-search', 'HUER');
    await huerta.waitFor();
    await ajedrez.waitFor({ state: 'detached' });
    await page.fill('#directory-search', 'nothing-like-this');
    await dialog.locator('text=No rooms match.').waitFor();

    // One click joins: the room opens, the others see luz arrive.
    await page.fill('#directory-search', 'huerta');
    await huerta.click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('#conversation-title', { hasText: '#huerta' }).waitFor();
    await ana.until(
      (m) => m.command === 'JOIN' && m.params[0] === '#huerta' && (m.source ?? '').startsWith('luz!'),
    );

    // Open again: the room luz is in says "Open" and the count includes her.
    await page.locator('button.directory-open').click();
    await huerta.waitFor();
    assert.match(await huerta.innerText(), /3 members/);
    assert.match(await huerta.locator('.room-action').innerText(), /^Open$/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  // What is painted for each SVG emoji: opaque pixels and distinct colours, drawn on a canvas.
  const paintedEmoji = (selector: string): string => `(async () => {
    const out = [];
    for (const svg of document.querySelectorAll(${JSON.stringify(selector)})) {
      const img = new Image();
      img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
      await img.decode();
      const c = document.createElement('canvas');
      c.width = 24;
      c.height = 24;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0, 24, 24);
      const px = g.getImageData(0, 0, 24, 24).data;
      let opaque = 0;
      const colours = new Set();
      for (let i = 0; i < px.length; i += 4)
        if (px[i + 3] > 200) { opaque++; colours.add((px[i] >> 5) + ',' + (px[i + 1] >> 5) + ',' + (px[i + 2] >> 5)); }
      const box = svg.getBoundingClientRect();
      out.push({ text: svg.parentElement.textContent, opaque, colours: colours.size, width: box.width, height: box.height });
    }
    return out;
  })()`;

  test('the reaction picker and counters draw their emoji (no emoji font on this system)', async () => {
    const [ana] = web.irc;
    const page = web.users[0]!.page;
    ana!.send('PRIVMSG #huerta :¿quién trae semillas?');
    const msg = page.locator('.message', { hasText: '¿quién trae semillas?' }).last();
    await msg.waitFor();
    await msg.hover();
    await msg.locator('.msg-actions button', { hasText: 'React' }).click();
    const picker = msg.locator('.emoji-picker');
    await picker.waitFor();
    const drawn = (await page.evaluate(paintedEmoji('.emoji-picker .emoji svg.emoji-svg'))) as Array<{
      text: string;
      opaque: number;
      colours: number;
      width: number;
      height: number;
    }>;
    assert.deepEqual(
      drawn.map((d) => d.text),
      ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'],
      'every emoji the picker offers is drawn, its character kept for screen readers',
    );
    for (const d of drawn) {
      assert.ok(d.width >= 20 && d.height >= 20, `${d.text} is shown at a readable size`);
      assert.ok(d.opaque > 60, `${d.text} paints a shape (${d.opaque} px)`);
      assert.ok(d.colours >= 2, `${d.text} has more than one colour, unlike an empty box`);
    }
    await screenshot(page, 'emoji-picker');
    await picker.locator('button', { hasText: '🎉' }).click();
    const counter = msg.locator('.reaction', { hasText: '🎉' });
    await counter.locator('.reaction-count', { hasText: '1' }).waitFor();
    const onCounter = (await page.evaluate(paintedEmoji('.reaction svg.emoji-svg'))) as typeof drawn;
    assert.ok(
      onCounter.some((d) => d.text.startsWith('🎉') && d.opaque > 60 && d.colours >= 2),
      'the counter draws the emoji too',
    );
    await msg.hover();
    await screenshot(page, 'emoji-reactions');
  });

  test('the directory speaks Spanish', async () => {
    const eva = await web.user({ locale: 'es-ES' });
    await loginGuest(eva, web.base, 'eva');
    await eva.page.locator('button.directory-open', { hasText: 'Explorar salas' }).click();
    const dialog = eva.page.locator('.room-directory');
    await dialog.locator('h2', { hasText: 'Salas de este servidor' }).waitFor();
    const huerta = dialog.locator('button.directory-room[data-room="#huerta"]');
    await huerta.waitFor();
    assert.match(await huerta.innerText(), /3 miembros/);
    assert.match(await huerta.locator('.room-action').innerText(), /^Unirse$/);
  });
});

describe(
  "ChanServ speaks about a new room inside it, in the person's language, in Chromium",
  { timeout: 180_000 },
  () => {
    const web = webSuite();

    async function joinNew(page: import('playwright-core').Page, room: string): Promise<void> {
      await page.fill('#join-room', room);
      await page.press('#join-room', 'Enter');
      await page.locator('#conversation-title', { hasText: room }).waitFor();
    }

    // IRCv3 channel-context client tag: a service's private NOTICE about a room is shown in
    // that room; tertulia/notice (docs/PERMISSIONS.md) gives the words in the person's language.
    test('a guest who creates a room reads in it, in English, that it is not registered; no conversation with ChanServ appears', async () => {
      const luz = await web.user();
      await loginGuest(luz, web.base, 'luz');
      await joinNew(luz.page, '#mercado');
      const line = luz.page.locator('.messages .event.service[data-code="room-unregistered"]');
      await line.waitFor();
      assert.match(await line.innerText(), /#mercado is not registered.*\/msg ChanServ REGISTER #mercado/);
      await screenshot(luz.page, 'chanserv-room-line-en');
      assert.equal(
        await conversationButton(luz.page, 'ChanServ').count(),
        0,
        'no private conversation with ChanServ',
      );
      assert.equal(await luz.page.locator('.conversation.has-unread').count(), 0, 'nothing unread');
    });

    test('an account who creates a room reads in it, in Spanish, that it is now theirs; no conversation with ChanServ appears', async () => {
      const eva = await web.user({ locale: 'es-ES' });
      await loginAccount(eva, web.base, 'register', 'eva');
      await joinNew(eva.page, '#feria');
      const line = eva.page.locator('.messages .event.service[data-code="room-registered"]');
      await line.waitFor();
      assert.match(
        await line.innerText(),
        /^#feria es nueva, así que queda registrada a nombre de tu cuenta/,
      );
      await screenshot(eva.page, 'chanserv-room-line-es');
      assert.equal(
        await conversationButton(eva.page, 'ChanServ').count(),
        0,
        'no private conversation with ChanServ',
      );
      assert.equal(await eva.page.locator('.conversation.has-unread').count(), 0, 'nothing unread');
    });

    test('the list offers one notifications switch, saying what it covers, in English and Spanish', async () => {
      const [luz, eva] = web.users;
      for (const [u, label, hint] of [
        [luz!, 'Notifications on this device', /while this tab is in the background/],
        [eva!, 'Notificaciones en este dispositivo', /también con la app cerrada/],
      ] as const) {
        const foot = u.page.locator('.sidebar-foot');
        await foot.locator('input.notify-toggle').waitFor({ state: 'attached' });
        assert.equal(await foot.locator('input.notify-toggle').count(), 1);
        assert.equal(await foot.getByRole('checkbox', { name: label }).count(), 1);
        assert.equal(
          await foot.locator('button, a, label', { hasText: /notifica/i }).count(),
          1,
          'nothing else in the list speaks of notifications',
        );
        assert.match(await foot.locator('#notify-hint').innerText(), hint);
      }
      await screenshot(luz!.page, 'notifications-switch-en');
      await screenshot(eva!.page, 'notifications-switch-es');
    });
  },
);

describe('a first visit lands in the server rooms (server-rooms), in Chromium', { timeout: 180_000 }, () => {
  const web = webSuite({ serverRooms: ['#plaza', '#ayuda'] });

  test('GET /api/server-rooms says which rooms they are', async () => {
    const res = await fetch(`${web.base}api/server-rooms`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), { rooms: ['#plaza', '#ayuda'] });
    const post = await fetch(`${web.base}api/server-rooms`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  test('a new guest is in every server room with the first one open, and people there see them arrive', async () => {
    const ana = await TestClient.register(web.srv.port, 'ana');
    web.irc.push(ana);
    ana.send('JOIN #plaza');
    await ana.until((m) => m.command === 'JOIN' && m.params[0] === '#plaza');
    const luz = await newUser(web.browser);
    web.users.push(luz);
    await loginGuest(luz, web.base, 'luz');
    await luz.page.locator('#conversation-title', { hasText: '#plaza' }).waitFor();
    await conversationButton(luz.page, '#ayuda').waitFor();
    await ana.until(
      (m) => m.command === 'JOIN' && m.params[0] === '#plaza' && (m.source ?? '').startsWith('luz!'),
    );
    await luz.page.locator('.members .member', { hasText: 'ana' }).waitFor();
    await screenshot(luz.page, 'first-visit-guest');

    // Leaving a server room sticks: a reload does not put her back (she has been here before).
    await conversationButton(luz.page, '#ayuda').click();
    await luz.page.locator('#conversation-title', { hasText: '#ayuda' }).waitFor();
    await luz.page.locator('button', { hasText: 'Leave room' }).click();
    await conversationButton(luz.page, '#ayuda').waitFor({ state: 'detached' });
    await luz.page.reload();
    await luz.page.locator('#conversation-title', { hasText: '#plaza' }).waitFor();
    await luz.page.locator('.members .member', { hasText: 'ana' }).waitFor();
    assert.equal(await conversationButton(luz.page, '#ayuda').count(), 0);
  });

  // RFC 2812 §3.2.6: LIST shows only rooms with people in them; the directory adds the
  // server's own rooms so a newcomer always finds them.
  test('the directory lists a server room nobody is in, with 0 members, and joins it', async () => {
    const page = web.users[0]!.page; // luz, who left #ayuda: nobody is in it now
    await page.locator('button.directory-open').click();
    const dialog = page.locator('.room-directory[role=dialog]');
    const ayuda = dialog.locator('button.directory-room[data-room="#ayuda"]');
    await ayuda.waitFor();
    assert.match(await ayuda.innerText(), /0 members/);
    assert.match(await ayuda.locator('.room-action').innerText(), /^Join$/);
    await screenshot(page, 'directory-empty-server-room');
    await page.fill('#directory-search', 'ayu');
    await ayuda.click();
    await page.locator('#conversation-title', { hasText: '#ayuda' }).waitFor();
  });

  test('a new account with no rooms lands there too', async () => {
    const teo = await newUser(web.browser);
    web.users.push(teo);
    await loginAccount(teo, web.base, 'register', 'teo');
    await teo.page.locator('#conversation-title', { hasText: '#plaza' }).waitFor();
    await conversationButton(teo.page, '#ayuda').waitFor();
  });
});

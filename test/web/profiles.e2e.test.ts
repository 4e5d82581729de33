/**
 * Profiles in the web client (IRCv3 draft/metadata-2), in real Chromium against a real
 * server: ana sets a display name, a status and an avatar (a picture uploaded through the
 * file host) in her profile; bob, who joins her room afterwards, sees them in the member list
 * and on her messages, and sees her later change of status as it happens; a plain IRC client
 * reads the same profile with METADATA GET.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { joinRoom, loginAccount, loginGuest, message, say, screenshot } from '../helpers/browser.js';
import { TestClient } from '../helpers/client.js';
import { webSuite } from '../helpers/web-suite.js';

/** A 1×1 red PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

describe('web client: profiles (draft/metadata-2)', { timeout: 120_000 }, () => {
  const web = webSuite();

  test('metadata §Concepts: another person’s display name, status and uploaded avatar show in the member list and on their messages, and a change shows as it is made', async () => {
    const ana = await web.user();
    await loginAccount(ana, web.base, 'register', 'ana');
    await joinRoom(ana.page, '#perfil');
    await ana.page.click('button.profile-open');
    const form = ana.page.locator('form.profile-editor');
    await form
      .locator('input[type=file]')
      .setInputFiles({ name: 'ana.png', mimeType: 'image/png', buffer: PNG });
    // The sidebar shows her own picture once the server took it.
    await ana.page.locator('.sidebar-head img.avatar.picture').waitFor();
    await form.locator('input[name=display-name]').fill('Ana Torres');
    await form.locator('input[name=status]').fill('en la playa');
    await form.locator('button[type=submit]').click();
    await form.locator('output', { hasText: 'Profile saved.' }).waitFor();
    await ana.page.locator('.sidebar-head strong', { hasText: 'Ana Torres' }).waitFor();

    const bob = await web.user();
    await loginGuest(bob, web.base, 'bob');
    await joinRoom(bob.page, '#perfil');
    const member = bob.page.locator('#members-panel button.member', { hasText: 'Ana Torres' });
    await member.waitFor();
    assert.equal(await member.locator('.member-nick').textContent(), ' ana');
    assert.equal(await member.locator('.member-status').textContent(), 'en la playa');
    const picture = member.locator('img.avatar.picture');
    const src = await picture.getAttribute('src');
    assert.ok(src?.startsWith(web.base), `the avatar is the uploaded file on this server: ${src}`);
    // Decoded by the browser: the uploaded PNG itself.
    await bob.page.waitForFunction(
      "document.querySelector('#members-panel img.avatar.picture')?.naturalWidth === 1",
    );

    await say(ana.page, 'hola bob');
    await message(bob.page, 'hola bob').waitFor();
    const group = bob.page.locator('article.group', { hasText: 'hola bob' });
    assert.equal(await group.locator('.sender').textContent(), 'Ana Torres');
    assert.equal(await group.locator('.sender-nick').textContent(), 'ana');
    assert.equal(await group.locator('img.avatar.picture').getAttribute('src'), src);

    // A change after bob joined reaches him as it is made (a METADATA notification).
    await form.locator('input[name=status]').fill('de vuelta');
    await form.locator('button[type=submit]').click();
    await bob.page.locator('#members-panel .member-status', { hasText: 'de vuelta' }).waitFor();
    await screenshot(bob.page, 'web-profiles-member-list');

    // Any IRC client reads the same profile.
    const irc = await TestClient.register(web.srv.port, 'carla', ['draft/metadata-2', 'batch']);
    web.irc.push(irc);
    irc.mark();
    irc.send('METADATA ana GET display-name status');
    const name = await irc.expect('761', 'carla', 'ana', 'display-name');
    assert.equal(name.params[4], 'Ana Torres');
    const status = await irc.expect('761', 'carla', 'ana', 'status');
    assert.equal(status.params[4], 'de vuelta');
  });
});

/**
 * The web client on a phone (issue 17): a 390×844 touch screen in real headless Chromium
 * (touch input, no hover), beside a 1280×800 desktop. What a person would notice: a reply's
 * quote keeps the quoted name on one line, hints for keys a phone has not got are not shown,
 * and a picture's bubble is the picture's size. Screenshots in English and Spanish at both
 * sizes land in test-artifacts/ (phone-*.png, desktop-*.png) for a person to look at.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { joinRoom, loginAccount, message, say, screenshot } from '../helpers/browser.js';
import { redPng } from '../helpers/png.js';
import { webSuite } from '../helpers/web-suite.js';

const PHONE = { width: 390, height: 844 };

/** The page's globals used in page.evaluate (this file has Node's types, not the DOM's). */
interface Box {
  width: number;
  height: number;
}
interface PageEl {
  getBoundingClientRect(): Box & { top: number; left: number };
  scrollWidth: number;
  clientWidth: number;
  textContent: string | null;
}
interface PageGlobals {
  document: {
    createRange(): { selectNodeContents(el: unknown): void; getClientRects(): ArrayLike<{ top: number }> };
  };
  getComputedStyle(el: unknown): {
    paddingLeft: string;
    paddingRight: string;
    borderLeftWidth: string;
    opacity: string;
  };
}

/** How many lines of text an element's contents are laid out on. */
async function linesOf(page: Page, selector: string): Promise<number> {
  return page.locator(selector).evaluate((el) => {
    const range = (globalThis as unknown as PageGlobals).document.createRange();
    range.selectNodeContents(el);
    return new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size;
  });
}

/** Width of a message's bubble beyond its picture, less the bubble's own padding and border. */
async function spaceBesideImage(page: Page, alt: string): Promise<{ image: number; extra: number }> {
  const bubble = page.locator('.message', { has: page.locator(`img[alt="${alt}"]`) });
  return bubble.evaluate((el, alt) => {
    const g = globalThis as unknown as PageGlobals;
    const b = (el as unknown as PageEl).getBoundingClientRect();
    const img = (el as unknown as { querySelector(s: string): PageEl }).querySelector(`img[alt="${alt}"]`);
    const s = g.getComputedStyle(el);
    const chrome =
      Number.parseFloat(s.paddingLeft) +
      Number.parseFloat(s.paddingRight) +
      2 * Number.parseFloat(s.borderLeftWidth);
    const image = img.getBoundingClientRect().width;
    return { image, extra: b.width - chrome - image };
  }, alt);
}

/** Opens the list (a drawer on a phone) and waits for it to finish sliding in. */
async function openDrawer(page: Page): Promise<void> {
  await page.locator('button.menu').tap();
  await page.waitForFunction(() => {
    const el = (
      globalThis as unknown as { document: { querySelector(s: string): PageEl | null } }
    ).document.querySelector('.sidebar');
    return el !== null && Math.round(el.getBoundingClientRect().left) === 0;
  });
}

/** Text on screen that names a key (Alt+↑, Ctrl+K, Esc): hints for a keyboard. */
function keyHints(page: Page) {
  return page.locator('body *:visible', { hasText: /Ctrl\+K|Alt\+|\(Esc\)/ });
}

describe('the web client on a phone in Chromium', { timeout: 180_000 }, () => {
  const web = webSuite();

  test('a reply quote keeps the name on one line, no keyboard hints on a touch screen, a picture bubble fits the picture', async () => {
    const lucia = await web.user();
    await loginAccount(lucia, web.base, 'register', 'lucia');
    await joinRoom(lucia.page, '#mercado');
    const teo = await web.user({ viewport: PHONE, touch: true });
    await loginAccount(teo, web.base, 'register', 'teo');
    await openDrawer(teo.page);
    await teo.page.fill('#join-room', '#mercado');
    await teo.page.press('#join-room', 'Enter');
    await teo.page.locator('#conversation-title', { hasText: '#mercado' }).waitFor();

    const question = '¿Alguien sabe a qué hora abre el mercado de abastos los sábados por la mañana?';
    await say(lucia.page, question);
    await say(lucia.page, 'Traigo fruta para todos, y una foto del puesto de Rosa:');
    const photo = 'puesto de Rosa.png';
    await lucia.page
      .locator('[data-testid=file-input]')
      .setInputFiles({ name: photo, mimeType: 'image/png', buffer: redPng(200, 150) });
    await lucia.page.locator(`.message img[alt="${photo}"]`).waitFor();

    // On the phone: a tap on the message shows its actions; reply to it.
    // The question by its own text (the reply quotes it too).
    const asked = teo.page
      .locator('.message')
      .filter({ has: teo.page.locator('.text', { hasText: question }) });
    await asked.tap();
    await asked.locator('.msg-actions button', { hasText: 'Reply' }).tap();
    await teo.page.locator('.compose-mode', { hasText: 'Replying to lucia' }).waitFor();
    await say(teo.page, 'A las nueve, creo');
    const quoteFrom = '.message:has-text("A las nueve, creo") .reply-quote .quote-from';
    await teo.page.locator(quoteFrom).waitFor();
    await message(lucia.page, 'A las nueve, creo').locator('.reply-quote').waitFor();
    // Once replied, the question's actions go away (a touch screen keeps :hover where it was tapped).
    const actionsShown = await asked
      .locator('.msg-actions')
      .evaluate((el) => (globalThis as unknown as PageGlobals).getComputedStyle(el).opacity);
    assert.equal(actionsShown, '0', 'the actions of the message replied to are hidden again');

    // The quoted name: whole, on one line, on the phone and on the desktop.
    for (const page of [teo.page, lucia.page]) {
      assert.equal(await page.locator(quoteFrom).innerText(), 'lucia');
      assert.equal(await linesOf(page, quoteFrom), 1, 'the quoted name is on one line');
      const clipped = await page
        .locator(quoteFrom)
        .evaluate((el) => (el as unknown as PageEl).scrollWidth > (el as unknown as PageEl).clientWidth);
      assert.equal(clipped, false, 'the quoted name is not cut off');
    }

    // The reply's bubble stays on the phone's screen (its long quote is cut, not the bubble).
    const reply = await message(teo.page, 'A las nueve, creo').boundingBox();
    assert.ok(reply !== null && reply.x >= 0 && reply.x + reply.width <= PHONE.width, JSON.stringify(reply));

    // A picture's bubble is as wide as the picture (plus its padding), on both screens.
    const img = teo.page.locator(`.message img[alt="${photo}"]`);
    await img.waitFor();
    await teo.page.waitForFunction(
      (alt) =>
        (
          globalThis as unknown as { document: { querySelector(s: string): { complete?: boolean } | null } }
        ).document.querySelector(`.message img[alt="${alt}"]`)?.complete === true,
      photo,
    );
    for (const page of [teo.page, lucia.page]) {
      const { image, extra } = await spaceBesideImage(page, photo);
      assert.ok(image >= 150, `the picture is shown (${image} px wide)`);
      assert.ok(extra <= 2, `no empty space beside the picture (${extra.toFixed(1)} px)`);
    }

    // Keyboard hints: on the desktop, in the list; on the phone, nowhere (list and search).
    await lucia.page.locator('.shortcuts', { hasText: 'Ctrl+K' }).waitFor();
    await screenshot(teo.page, 'phone-en');
    await openDrawer(teo.page);
    await teo.page.locator('.sidebar-foot', { hasText: 'Log out' }).waitFor();
    assert.equal(await keyHints(teo.page).count(), 0, 'no keyboard hints in the phone drawer');
    await screenshot(teo.page, 'phone-drawer-en');
    await teo.page.locator('.search-button').tap();
    const search = teo.page.locator('#search-input');
    await search.waitFor();
    assert.doesNotMatch((await search.getAttribute('placeholder'))!, /Ctrl/);
    await teo.page.keyboard.press('Escape');
    await lucia.page.keyboard.press('Control+k');
    assert.match((await lucia.page.locator('#search-input').getAttribute('placeholder'))!, /Ctrl\+K/);
    await lucia.page.keyboard.press('Escape');
    await screenshot(lucia.page, 'desktop-en');

    // The same screens in Spanish, switched from the list.
    await lucia.page.locator('.sidebar select').selectOption('es');
    await lucia.page.locator('.sidebar-foot', { hasText: 'Cerrar sesión' }).waitFor();
    await lucia.page.locator('#composer-input').focus();
    await screenshot(lucia.page, 'desktop-es');
    if (!(await teo.page.locator('.sidebar').isVisible())) await openDrawer(teo.page);
    await teo.page.locator('.sidebar select').selectOption('es');
    await teo.page.locator('.sidebar-foot', { hasText: 'Cerrar sesión' }).waitFor();
    assert.equal(await keyHints(teo.page).count(), 0, 'no keyboard hints in Spanish either');
    await screenshot(teo.page, 'phone-drawer-es');
    await teo.page.keyboard.press('Escape');
    await teo.page.waitForFunction(() => {
      const el = (
        globalThis as unknown as { document: { querySelector(s: string): PageEl | null } }
      ).document.querySelector('.sidebar');
      return el !== null && el.getBoundingClientRect().left + el.getBoundingClientRect().width <= 0;
    });
    await screenshot(teo.page, 'phone-es');
  });

  test('the room header fits a phone in Spanish and English: title, member count and leave do not overlap, and keep their names', async () => {
    const boxes = async (page: Page) => {
      const out: Record<string, { x: number; y: number; width: number; height: number }> = {};
      for (const [name, sel] of [
        ['menu', 'button.menu'],
        ['title', '#conversation-title'],
        ['members', 'button.members-button'],
        ['leave', 'button.leave-button'],
      ] as const) {
        const b = await page.locator(sel).boundingBox();
        assert.ok(b !== null, `${name} is shown`);
        out[name] = b;
      }
      return out;
    };
    for (const [locale, nick, members, leave] of [
      ['es-ES', 'rosa', '3 miembros', 'Salir de la sala'],
      ['en-US', 'sam', '4 members', 'Leave room'],
    ] as const) {
      const u = await web.user({ locale, viewport: PHONE, touch: true });
      await loginAccount(u, web.base, 'register', nick);
      await openDrawer(u.page);
      await u.page.fill('#join-room', '#mercado');
      await u.page.press('#join-room', 'Enter');
      await u.page.locator('#conversation-title', { hasText: '#mercado' }).waitFor();
      // Named for screen readers by what they do, though shown as icons.
      const membersButton = u.page.getByRole('button', { name: members, exact: true });
      await membersButton.waitFor();
      assert.equal(await u.page.getByRole('button', { name: leave, exact: true }).count(), 1);
      assert.match(await membersButton.innerText(), /^\s*\d+\s*$/, 'the count stays visible');
      const b = await boxes(u.page);
      const order = ['menu', 'title', 'members', 'leave'] as const;
      for (let k = 1; k < order.length; k++) {
        const left = b[order[k - 1]!]!;
        const right = b[order[k]!]!;
        assert.ok(
          left.x + left.width <= right.x,
          `${order[k - 1]} ends before ${order[k]} starts: ${JSON.stringify(b)}`,
        );
      }
      const last = b['leave']!;
      assert.ok(last.x + last.width <= PHONE.width, 'the leave button is on the screen');
      assert.ok(
        last.width >= 40 && last.height >= 40,
        `the leave button is a finger-sized target: ${JSON.stringify(last)}`,
      );
      const titleClipped = await u.page
        .locator('#conversation-title')
        .evaluate((el) => (el as unknown as PageEl).scrollWidth > (el as unknown as PageEl).clientWidth);
      assert.equal(titleClipped, false, 'the room name is shown whole');
      await screenshot(u.page, `phone-header-${locale.slice(0, 2)}`);
    }
  });
});

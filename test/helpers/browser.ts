/**
 * Real headless Chromium for the web client's end-to-end tests: Debian's `chromium`
 * driven by playwright-core (which downloads no browser of its own). A missing browser
 * fails the tests loudly rather than skipping them; `.ci/run` installs it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env['TERTULIA_CHROMIUM'] ?? '/usr/bin/chromium';

/** Where screenshots and measurements go (gitignored). */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) ` +
        'or set TERTULIA_CHROMIUM; the web client tests never skip',
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface BrowserUser {
  context: BrowserContext;
  page: Page;
  /** Errors the page threw or logged: a test fails if any appear (e.g. a CSP violation). */
  errors: string[];
}

/** A person with their own browser profile (storage, cookies) and one tab. */
export async function newUser(
  browser: Browser,
  opts: {
    locale?: string;
    viewport?: { width: number; height: number };
    /** A phone: touch input, no hover, mobile viewport rules (CSS `(hover: none)`, `(pointer: coarse)`). */
    touch?: boolean;
  } = {},
): Promise<BrowserUser> {
  const context = await browser.newContext({
    locale: opts.locale ?? 'en-US',
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    timezoneId: 'Europe/Madrid',
    ...(opts.touch === true ? { hasTouch: true, isMobile: true } : {}),
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Expected while a test restarts the server or sends a file over the limit.
    const expected = /WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|status of 413/;
    if (m.type() === 'error' && !expected.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

export function screenshot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

// ------------------------------------------------------------------ what people do

export async function loginGuest(user: BrowserUser, base: string, nick: string): Promise<void> {
  await user.page.goto(base);
  await user.page.fill('input[name=nick]', nick);
  await user.page.click('button[type=submit]');
  // Attached, not visible: on a phone the list it is in is a closed drawer.
  await user.page.locator('#join-room').waitFor({ state: 'attached' });
}

export async function loginAccount(
  user: BrowserUser,
  base: string,
  mode: 'register' | 'login',
  name: string,
): Promise<void> {
  const page = user.page;
  await page.goto(base);
  // By the tab's value, so a page in any language can log in.
  await page.locator(`label.tab:has(input[name=mode][value=${mode}])`).click();
  await page.fill('input[name=nick]', name);
  await page.fill('input[name=password]', `${name}-secret-pw`);
  await page.click('button[type=submit]');
  await page.locator('#join-room').waitFor({ state: 'attached' });
}

export async function joinRoom(page: Page, room: string): Promise<void> {
  await page.fill('#join-room', room);
  await page.press('#join-room', 'Enter');
  await page.locator('#conversation-title', { hasText: room }).waitFor();
}

export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#composer-input', text);
  await page.press('#composer-input', 'Enter');
}

export function message(page: Page, text: string) {
  return page.locator('.message', { hasText: text });
}

export function conversationButton(page: Page, name: string) {
  return page.locator(`button.conversation[data-conversation="${name}"]`);
}

/**
 * The before/after every web client suite needs: one headless Chromium and one real server
 * for the suite, the people (browser profiles) and plain IRC clients its tests open, closed
 * at the end, and a check that no page logged a script error or CSP violation.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Browser } from 'playwright-core';
import { type BrowserUser, launchBrowser, newUser } from './browser.js';
import type { TestClient } from './client.js';
import { startServer, type TestServer } from './server.js';

export interface WebSuite {
  /** Set in the suite's `before`; read them inside tests only. */
  srv: TestServer;
  /** The web client's address, with a trailing slash. */
  base: string;
  browser: Browser;
  /** People whose pages are checked for errors at the end. */
  users: BrowserUser[];
  /** Plain IRC clients closed at the end. */
  irc: TestClient[];
  /** A new person (own profile, one tab), checked at the end like the others. */
  user(opts?: Parameters<typeof newUser>[1]): Promise<BrowserUser>;
}

/** Call at the top of a `describe`: registers its before/after and returns the fixture. */
export function webSuite(serverOpts: Parameters<typeof startServer>[0] = {}): WebSuite {
  const suite = {
    users: [] as BrowserUser[],
    irc: [] as TestClient[],
    async user(opts: Parameters<typeof newUser>[1] = {}): Promise<BrowserUser> {
      const u = await newUser(suite.browser, opts);
      suite.users.push(u);
      return u;
    },
  } as WebSuite;
  before(async () => {
    suite.browser = await launchBrowser();
    suite.srv = await startServer(serverOpts);
    suite.base = `http://127.0.0.1:${suite.srv.httpPort}/`;
  });
  after(async () => {
    for (const c of suite.irc) c.close();
    for (const u of suite.users)
      assert.deepEqual(u.errors, [], 'no script errors or CSP violations in the page');
    await suite.browser?.close();
    await suite.srv?.stop();
  });
  return suite;
}

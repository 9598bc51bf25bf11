// Shared harness of the UI tests: the browser, per-context request and
// console recording, the checks every page gets, screenshots and logins.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, request as apiRequest } from 'playwright-core';

if (!process.env.GRASSROOTS_URL) {
  throw new Error('GRASSROOTS_URL is not set: run the UI tests with scripts/ui-test');
}

/** The server under test, e.g. http://127.0.0.1:41234 (no trailing slash). */
export const BASE = process.env.GRASSROOTS_URL.replace(/\/+$/, '');
export const ORIGIN = new URL(BASE).origin;
export const PASSWORD = 'grassroots-demo';
export const SCREENSHOTS = path.resolve(process.env.SCREENSHOTS || '../../target/ui-screenshots');

export const PHONE = {
  viewport: { width: 360, height: 740 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
};
export const DESKTOP = { viewport: { width: 1280, height: 900 } };

/** Chromium's own line for a document answered with an error status. */
const STATUS_LINE = /^Failed to load resource: the server responded with a status of (\d{3})/;

export class Harness {
  /** `shotFrom`: the first screenshot number (files of one run do not collide). */
  constructor({ shotFrom = 1 } = {}) {
    this.shotNo = shotFrom;
    /** Every URL requested by any page of any context, and by the API clients. */
    this.requests = [];
    /** Console errors, page errors, CSP violations: `where: what`. */
    this.problems = [];
    /** Documents answered on purpose with an error status: url → status. */
    this.expectedStatus = new Map();
    this.contexts = [];
    this.pagesChecked = [];
  }

  async start() {
    this.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox'],
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }

  async stop() {
    for (const c of this.contexts) await c.dispose?.();
    await this.browser?.close();
  }

  /** A browser context whose every request and console error is recorded. */
  async context(options = DESKTOP) {
    const ctx = await this.browser.newContext({
      baseURL: BASE,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      ...options,
    });
    ctx.setDefaultTimeout(15_000);
    ctx.setDefaultNavigationTimeout(20_000);
    ctx.on('request', (r) => this.requests.push(r.url()));
    // A violation also reaches the console, but say it plainly whatever Chromium prints.
    await ctx.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
      });
    });
    ctx.on('page', (page) => this.watch(page));
    return ctx;
  }

  watch(page) {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const where = msg.location()?.url || page.url();
      const m = STATUS_LINE.exec(msg.text());
      if (m && this.expectedStatus.get(where) === Number(m[1])) return;
      this.problems.push(`console error on ${page.url()} (${where}): ${msg.text()}`);
    });
    page.on('pageerror', (err) => this.problems.push(`page error on ${page.url()}: ${err.message}`));
  }

  /** `url` (absolute or a path) is expected to answer `status`: its console line is no error. */
  expectStatus(url, status) {
    this.expectedStatus.set(new URL(url, BASE).href, status);
  }

  /** A JSON API client (cookies kept); its requests are recorded too. */
  async api() {
    const raw = await apiRequest.newContext({ baseURL: BASE });
    this.contexts.push(raw);
    const log = (p) => this.requests.push(new URL(p, BASE).href);
    return {
      raw,
      get: (p, o) => (log(p), raw.get(p, o)),
      post: (p, o) => (log(p), raw.post(p, o)),
    };
  }

  /** JSON of a GET made with a browser context's cookies (recorded). */
  async contextJson(ctx, p) {
    this.requests.push(new URL(p, BASE).href);
    const r = await ctx.request.get(p);
    assert.equal(r.status(), 200, `GET ${p}: ${r.status()} ${await r.text()}`);
    return r.json();
  }

  /** A full-page screenshot `NN-name.png`. */
  async shot(page, name) {
    const file = path.join(SCREENSHOTS, `${String(this.shotNo++).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }

  /**
   * What every page gets, right after it loaded: a screenshot, served from
   * the server's origin, every form control labelled, no duplicate ids, and
   * the first Tab lands on a working "skip to content" link (`skipLink:
   * false` for a standalone document outside the site's layout, such as a
   * printable page, which has none).
   */
  async checkPage(page, name, { shot = true, skipLink = true } = {}) {
    await page.waitForLoadState('load');
    if (shot) await this.shot(page, name);
    assert.equal(new URL(page.url()).origin, ORIGIN, `${name}: the page left the server's origin`);
    const unlabelled = await page.evaluate(unlabelledControls);
    assert.deepEqual(unlabelled, [], `${name} (${page.url()}): form controls without an accessible label`);
    const dupes = await page.evaluate(duplicateIds);
    assert.deepEqual(dupes, [], `${name} (${page.url()}): duplicate element ids`);
    if (skipLink) await checkSkipLink(page, name);
    this.pagesChecked.push(`${name} ${page.url()}`);
  }
}

/** Visible (or in a closed <details>, shown on a click) controls without a label. */
function unlabelledControls() {
  const text = (n) => (n ? (n.textContent || '').trim() : '');
  const bad = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const rendered = el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    if (!rendered && !el.closest('details:not([open])')) continue;
    let ok = false;
    if (el.id) {
      const forId = document.querySelectorAll(`label[for="${CSS.escape(el.id)}"]`);
      ok ||= [...forId].some((l) => text(l) !== '');
    }
    ok ||= text(el.closest('label')) !== '';
    ok ||= (el.getAttribute('aria-label') || '').trim() !== '';
    const by = (el.getAttribute('aria-labelledby') || '').trim();
    if (by) {
      const refs = by.split(/\s+/).map((id) => document.getElementById(id));
      ok ||= refs.every(Boolean) && refs.map(text).join('') !== '';
    }
    if (!ok) bad.push(el.outerHTML.slice(0, 200));
  }
  return bad;
}

function duplicateIds() {
  const seen = new Map();
  for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
}

async function checkSkipLink(page, name) {
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const a = document.activeElement;
    const r = a.getBoundingClientRect();
    return {
      isSkip: a.matches('a.skip'),
      html: a.outerHTML.slice(0, 120),
      href: a.getAttribute('href'),
      text: (a.textContent || '').trim(),
      onScreen: r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth,
    };
  });
  assert.ok(focused.isSkip, `${name}: the first Tab focused ${focused.html}, not the skip link`);
  assert.ok(focused.text, `${name}: the skip link has no text`);
  assert.ok(focused.onScreen, `${name}: the focused skip link is not on screen`);
  const target = focused.href.replace(/^#/, '');
  assert.ok(focused.href.startsWith('#') && (await page.locator(`[id="${target}"]`).count()) === 1,
    `${name}: the skip link points to ${focused.href}, which is not on the page`);
  await page.keyboard.press('Enter');
  const now = await page.evaluate(() => document.activeElement?.id);
  assert.equal(now, target, `${name}: following the skip link did not move focus to #${target}`);
  await page.evaluate(() => document.activeElement?.blur());
}

/** The page does not scroll sideways (phone layouts). */
export async function assertNoSideScroll(page, name) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `${name}: the page is ${scroll}px wide on a ${width}px screen`);
}

/**
 * Click `button` (submitting a form) and wait for the next document; the
 * response of that document (after redirects).
 */
export async function submitVia(page, button) {
  const response = page.waitForResponse(
    (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() &&
      !(r.status() >= 300 && r.status() < 400),
  );
  const loaded = page.waitForEvent('load');
  await button.click();
  const [resp] = await Promise.all([response, loaded]);
  return resp;
}

/**
 * Sign in through the login form; checks the login page on the way.
 * `password`: for an account the test made (the demo logins share PASSWORD).
 */
export async function login(h, page, username, { home, check = null, password = PASSWORD } = {}) {
  const resp = await page.goto('/login');
  assert.equal(resp.status(), 200);
  if (check) await h.checkPage(page, check);
  await page.fill('#username', username);
  await page.fill('#password', password);
  const after = await submitVia(page, page.locator('form[action="/login"] button[type=submit]'));
  assert.equal(after.status(), 200, `login as ${username}: ${after.status()}`);
  const at = new URL(page.url()).pathname;
  if (home) assert.equal(at, home, `login as ${username} went to ${at}`);
  else assert.notEqual(at, '/login', `login as ${username} failed`);
}

/** The status badge's key (`status-replied` → `replied`). */
export async function statusOf(page) {
  const cls = await page.locator('[data-testid=status] .badge[class*="status-"]').first().getAttribute('class');
  return /status-([a-z_]+)/.exec(cls)[1];
}

// Pages anyone reaches without signing in, and their error states: the home
// page, tracking by code (found nothing), the login form refused empty, a
// staff page asking for a login. Same per-page checks as the main scenario.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Harness, ORIGIN, PHONE, assertNoSideScroll, submitVia } from './lib.mjs';

describe('public pages on a phone', () => {
  const h = new Harness({ shotFrom: 50 });
  let page;

  before(async () => {
    await h.start();
    page = await (await h.context(PHONE)).newPage();
  });

  after(async () => {
    await h.stop();
  });

  it('the home page offers reporting and tracking', async () => {
    const resp = await page.goto('/');
    assert.equal(resp.status(), 200);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    await h.checkPage(page, 'home');
    await assertNoSideScroll(page, 'home (phone)');
    const nav = page.getByRole('navigation');
    assert.ok(await nav.getByRole('link', { name: '我要反映' }).isVisible());
    assert.ok(await nav.getByRole('link', { name: '查询进度' }).isVisible());
  });

  it('the public portal lists published appeals on a map, and the statistics', async () => {
    let resp = await page.goto('/portal');
    assert.equal(resp.status(), 200);
    await h.checkPage(page, 'portal');
    await assertNoSideScroll(page, 'portal (phone)');
    const listed = await page.locator('[data-testid=portal-list] > li').count();
    assert.ok(listed > 0, 'the demo has published appeals');
    assert.ok((await page.locator('#portal-map circle.dot').count()) > 0, 'dots on the map');
    // No phone number or 18-digit ID survives in what the public sees.
    const text = await page.locator('main').innerText();
    assert.doesNotMatch(text, /1[3-9]\d{9}/);
    assert.doesNotMatch(text, /\d{17}[\dXx]/);
    resp = await page.goto('/portal/stats');
    assert.equal(resp.status(), 200);
    await h.checkPage(page, 'portal-stats');
    assert.ok((await page.locator('[data-testid=stats-district] tbody tr').count()) > 0);
  });

  it('tracking an unknown code says so (404) and keeps the code in the form', async () => {
    const resp = await page.goto('/track');
    assert.equal(resp.status(), 200);
    await h.checkPage(page, 'track-lookup');
    h.expectStatus('/track/NOSUCHCODE1', 404);
    await page.fill('#code', 'NOSUCHCODE1');
    const r = await submitVia(page, page.locator('form[action="/track"] button[type=submit]'));
    assert.equal(r.status(), 404);
    assert.equal(new URL(page.url()).pathname, '/track/NOSUCHCODE1');
    assert.match(await page.locator('[role=alert]').innerText(), /NOSUCHCODE1/);
    assert.equal(await page.inputValue('#code'), 'NOSUCHCODE1');
    await h.checkPage(page, 'track-not-found');
  });

  it('an empty login form is refused with messages tied to its fields', async () => {
    await page.goto('/login');
    h.expectStatus('/login', 422);
    const r = await submitVia(page, page.locator('form[action="/login"] button[type=submit]'));
    assert.equal(r.status(), 422);
    for (const field of ['username', 'password']) {
      const input = page.locator(`#${field}`);
      assert.equal(await input.getAttribute('aria-invalid'), 'true', `#${field} is marked invalid`);
      const described = await input.getAttribute('aria-describedby');
      assert.ok(described, `#${field} points to its message`);
      assert.equal((await page.locator(`[id="${described}"]`).innerText()).trim(), '必填');
    }
    await h.checkPage(page, 'login-refused');
  });

  it('a staff page sends an anonymous visitor to the login, and back after it', async () => {
    await page.goto('/inbox');
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/inbox');
    await h.checkPage(page, 'login-next');
    assert.equal(await page.inputValue('input[name=next]'), '/inbox');
  });

  it('the API reference is served by the binary, readable on a phone', async () => {
    const resp = await page.goto('/api/docs');
    assert.equal(resp.status(), 200);
    await h.checkPage(page, 'api-docs');
    await assertNoSideScroll(page, 'api-docs (phone)');
    const text = await page.locator('main').innerText();
    assert.match(text, /\/api\/v1\/questions/);
    assert.match(text, /\/api\/v1\/appeals/);
    const doc = await (await page.request.get('/api/openapi.json')).json();
    assert.match(doc.openapi, /^3\./);
  });

  it('no request left the server origin; no console errors or CSP violations', () => {
    assert.ok(h.requests.length > 5, `only ${h.requests.length} requests were recorded`);
    const offsite = h.requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== ORIGIN);
    assert.deepEqual(offsite, [], 'requests off the server origin');
    assert.deepEqual(h.problems, [], 'console errors, page errors or CSP violations');
  });
});

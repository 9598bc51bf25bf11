// The main scenario: a resident submits an appeal on a phone-sized screen →
// the grid worker signs for it and replies → the resident rates it → the
// supervisor's dashboard shows it; staff of another district cannot open it;
// switching to English works. Every page visited gets the checks of
// `Harness.checkPage`, and at the end: no request left the server's origin,
// no console errors, no CSP violations.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  BASE, DESKTOP, Harness, ORIGIN, PHONE, assertNoSideScroll, login, statusOf, submitVia,
} from './lib.mjs';

const GRID = '230602001001001';
const CATEGORY = 'urban.sanitation'; // 环境卫生, handled at the grid
const DESCRIPTION = `UI 测试：小区东门垃圾桶满溢，已经三天没有清运。(${Date.now()})`;
const REPLY = '已联系环卫所清运，并增加了东门的清运频次。';

describe('an appeal from a phone to the supervisor', () => {
  const h = new Harness({ shotFrom: 1 });
  const s = {}; // what the steps hand on: code, id, resident context and page

  before(async () => {
    await h.start();
  });

  after(async () => {
    await h.stop();
  });

  it('a resident submits an appeal on a phone (360×740)', async () => {
    const ctx = await h.context(PHONE);
    const page = await ctx.newPage();
    s.residentCtx = ctx;
    s.residentPage = page;

    await login(h, page, 'resident', { home: '/my', check: 'login' });
    await h.checkPage(page, 'resident-my');

    const resp = await page.goto('/submit');
    assert.equal(resp.status(), 200);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    await h.checkPage(page, 'submit-phone');
    await assertNoSideScroll(page, 'submit (phone)');

    // The category search narrows the options; a lone match is picked.
    const visible = () => page.$$eval('select#category option', (os) =>
      os.filter((o) => o.value && !o.hidden).map((o) => o.value));
    const all = await visible();
    assert.ok(all.length > 10 && all.includes(CATEGORY), `categories offered: ${all.length}`);
    await page.fill('#category-search', '卫生');
    const some = await visible();
    assert.ok(some.includes(CATEGORY) && some.length > 1 && some.length < all.length,
      `"卫生" left ${some.length} of ${all.length} categories: ${some}`);
    await page.fill('#category-search', '环境卫生');
    assert.deepEqual(await visible(), [CATEGORY], 'searching "环境卫生" leaves exactly 环境卫生');
    assert.equal(await page.inputValue('select#category'), CATEGORY, 'the lone match is picked');
    await page.fill('#category-search', '');
    assert.equal((await visible()).length, all.length, 'clearing the search shows every category');
    await page.selectOption('select#category', CATEGORY);

    await page.fill('#description', DESCRIPTION);

    // A tap on the map fills in longitude and latitude.
    assert.equal(await page.inputValue('#lon'), '');
    await page.locator('svg#pick-map').click();
    const lon = Number(await page.inputValue('#lon'));
    const lat = Number(await page.inputValue('#lat'));
    assert.ok(Number.isFinite(lon) && lon > 123 && lon < 126, `map click gave longitude ${lon}`);
    assert.ok(Number.isFinite(lat) && lat > 45 && lat < 48, `map click gave latitude ${lat}`);
    assert.notEqual(await page.getAttribute('svg#pick-map .pick-pin', 'cx'), '-100', 'the pin moved');

    // …then the grid's label point, from the territory API.
    const unit = await h.contextJson(ctx, `/api/v1/territory/units/${GRID}`);
    assert.equal(unit.level, 'grid');
    const [gridLon, gridLat] = unit.label;
    await page.fill('#lon', String(gridLon));
    await page.fill('#lat', String(gridLat));

    await page.check('input[name=publish]');
    assert.ok(await page.isChecked('input[name=publish]'));

    let after = await submitVia(page, page.locator('form[action="/submit"] button[type=submit]'));
    if (await page.locator('[data-testid=duplicates]').count()) {
      // Similar problems nearby: shown first, the form kept, then filed anyway.
      assert.equal(after.status(), 200);
      await h.checkPage(page, 'duplicates');
      assert.ok(await page.locator('[data-testid=duplicates] li').count() >= 1);
      assert.equal(await page.inputValue('select#category'), CATEGORY);
      assert.equal(await page.inputValue('#description'), DESCRIPTION);
      assert.equal(Number(await page.inputValue('#lon')), gridLon);
      assert.equal(Number(await page.inputValue('#lat')), gridLat);
      assert.ok(await page.isChecked('input[name=publish]'), 'publish is still ticked');
      assert.equal(await page.locator('input[name=confirmed]').count(), 1);
      after = await submitVia(page, page.locator('form[action="/submit"] button[type=submit]'));
      assert.equal(await page.locator('[data-testid=duplicates]').count(), 0);
    }
    assert.equal(after.status(), 201, `filing answered ${after.status()}`);
    const code = (await page.locator('[data-testid=tracking-code]').innerText()).trim();
    assert.match(code, /^[A-Za-z0-9-]{6,}$/);
    s.code = code;
    await h.checkPage(page, 'submitted');
    await assertNoSideScroll(page, 'submitted (phone)');
    assert.equal(await page.locator(`a[href="/track/${code}"]`).count(), 1, 'a link to follow it');
  });

  it('the grid worker finds it in the inbox, signs for it and replies', async () => {
    assert.ok(s.code, 'needs the appeal of the first step');
    const ctx = await h.context(DESKTOP);
    const page = await ctx.newPage();
    s.gridPage = page;
    // A grid worker starts on the phone page of their grid: open work by deadline.
    await login(h, page, 'grid', { home: '/grid' });
    await h.checkPage(page, 'grid');
    const card = page.locator('[data-testid=grid-open] a[href^="/appeals/"]', { hasText: s.code });
    assert.equal(await card.count(), 1, `the grid page lists ${s.code}`);
    const inboxResp = await page.goto('/inbox');
    assert.equal(inboxResp.status(), 200);
    await h.checkPage(page, 'inbox');

    const link = page.locator('a[href^="/appeals/"]', { hasText: s.code });
    assert.equal(await link.count(), 1, `the inbox lists ${s.code} once`);
    const href = await link.getAttribute('href');
    s.id = Number(/^\/appeals\/(\d+)$/.exec(href)[1]);
    const row = page.locator('tr', { has: link });
    assert.match(await row.innerText(), /环境卫生/);

    await Promise.all([page.waitForURL(`**/appeals/${s.id}`), link.click()]);
    await h.checkPage(page, 'appeal-before');
    assert.equal(await statusOf(page), 'dispatched');
    assert.ok((await page.locator('main').innerText()).includes(DESCRIPTION));

    const step = async (action) => {
      const details = page.locator('details.step', { has: page.locator(`input[name=action][value=${action}]`) });
      assert.equal(await details.count(), 1, `the page offers the step ${action}`);
      if (!(await details.evaluate((d) => d.open))) await details.locator('summary').click();
      return details.locator('form');
    };

    const sign = await step('sign');
    let r = await submitVia(page, sign.locator('button[type=submit]'));
    assert.equal(r.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/appeals/${s.id}`);
    assert.equal(await statusOf(page), 'in_progress');
    assert.equal(await page.locator('[data-testid=status]').innerText(), '办理中');
    assert.equal(await page.locator('input[name=action][value=sign]').count(), 0, 'signed only once');
    await h.checkPage(page, 'appeal-signed');

    const reply = await step('reply');
    await reply.locator('textarea[name=text]').fill(REPLY);
    r = await submitVia(page, reply.locator('button[type=submit]'));
    assert.equal(r.status(), 200);
    assert.equal(await statusOf(page), 'replied');
    assert.ok((await page.locator('main').innerText()).includes(REPLY), 'the reply is shown');
    await h.checkPage(page, 'appeal-replied');
  });

  it('the resident reads the reply and rates it; it is closed', async () => {
    assert.ok(s.id, 'needs the reply of the previous step');
    const page = s.residentPage;
    const resp = await page.goto(`/track/${s.code}`);
    assert.equal(resp.status(), 200);
    await h.checkPage(page, 'track-replied');
    await assertNoSideScroll(page, 'track (phone)');
    assert.equal(await statusOf(page), 'replied');
    assert.equal((await page.locator('[data-testid=reply]').innerText()).trim(), REPLY);

    await page.check('input[name=resolved][value=yes]');
    await page.check('input[name=satisfaction][value=satisfied]');
    const r = await submitVia(page, page.locator(`form[action="/track/${s.code}/rate"] button[type=submit]`));
    assert.equal(r.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/track/${s.code}`);
    assert.equal(await statusOf(page), 'closed');
    assert.equal(await page.locator('[data-testid=status]').innerText(), '已办结');
    assert.equal(await page.locator('form[action$="/rate"]').count(), 0, 'no second rating');
    await h.checkPage(page, 'rated');
    s.closed = true;
  });

  it("the supervisor's dashboard lists it among the recently closed", async () => {
    assert.ok(s.closed, 'needs the closed appeal of the previous step');
    const ctx = await h.context(DESKTOP);
    const page = await ctx.newPage();
    await login(h, page, 'supervisor', {});
    const resp = await page.goto('/dashboard');
    await h.shot(page, 'dashboard');
    assert.equal(resp.status(), 200, `GET /dashboard answered ${resp.status()}`);
    await h.checkPage(page, 'dashboard', { shot: false });
    const recent = page.locator('[data-testid=recent-closed]');
    assert.equal(await recent.count(), 1, 'the dashboard has a recent-closed section');
    assert.ok((await recent.innerText()).includes(s.code), `recent-closed lists ${s.code}`);
  });

  it('a staff member of another district cannot open it (404, nothing disclosed)', async () => {
    assert.ok(s.id, 'needs the appeal of the first step');
    const admin = await h.api();
    let r = await admin.post('/api/v1/auth/login', { data: { username: 'admin', password: 'grassroots-demo' } });
    assert.equal(r.status(), 200, `admin API login: ${await r.text()}`);
    r = await admin.get('/api/v1/territory/units?level=district');
    assert.equal(r.status(), 200);
    const other = (await r.json()).units.find((u) => u.code !== '230602' && !u.retired);
    assert.ok(other, 'another district exists');
    const username = `ui-${other.code}-${Date.now() % 1e6}`;
    const password = 'ui-test-password';
    r = await admin.post('/api/v1/users', {
      data: { username, display_name: 'UI 测试区级人员', role: 'district_staff', unit: other.code, password },
    });
    assert.equal(r.status(), 201, `creating ${username}: ${await r.text()}`);

    const ctx = await h.context(DESKTOP);
    const page = await ctx.newPage();
    await page.goto('/login');
    await page.fill('#username', username);
    await page.fill('#password', password);
    await submitVia(page, page.locator('form[action="/login"] button[type=submit]'));
    assert.equal(new URL(page.url()).pathname, '/inbox', 'the other district\'s staff can sign in');
    assert.equal(await page.locator(`a[href="/appeals/${s.id}"]`).count(), 0);

    h.expectStatus(`/appeals/${s.id}`, 404);
    const resp = await page.goto(`/appeals/${s.id}`);
    assert.equal(resp.status(), 404, `/appeals/${s.id} answered ${resp.status()} to another district`);
    await h.checkPage(page, 'not-found');
    // The request id differs from one answer to the next; the rest must not.
    const mainText = async () => (await page.locator('main').innerText())
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<request id>');
    const shown = await mainText();
    assert.match(shown, /404/);
    assert.match(shown, /未找到/);
    assert.ok(!shown.includes(s.code) && !shown.includes(DESCRIPTION), 'the appeal is not disclosed');
    const html = await page.content();
    assert.ok(!html.includes(s.code) && !html.includes('垃圾桶满溢'), 'nothing of the appeal in the HTML');

    // Exactly what an id that does not exist answers.
    const missing = 987654321;
    h.expectStatus(`/appeals/${missing}`, 404);
    const none = await page.goto(`/appeals/${missing}`);
    assert.equal(none.status(), 404);
    assert.equal(await mainText(), shown, 'indistinguishable from a missing appeal');
  });

  it('switching to English works and is remembered', async () => {
    assert.ok(s.residentPage, 'needs the resident of the first step');
    const page = s.residentPage;
    await page.goto(s.code ? `/track/${s.code}` : '/submit');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    const toggle = page.locator('[data-testid=switch-lang]');
    assert.equal((await toggle.innerText()).trim(), 'English');
    const here = new URL(page.url()).pathname;
    await submitVia(page, toggle);
    assert.equal(new URL(page.url()).pathname, here, 'the switch comes back to the same page');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await h.checkPage(page, 'english');
    const nav = page.getByRole('navigation').getByRole('link', { name: 'Report a problem' });
    assert.ok(await nav.isVisible(), 'the English menu is shown');
    if (s.closed) assert.equal(await page.locator('[data-testid=status]').innerText(), 'Closed');
    assert.equal((await toggle.innerText()).trim(), '中文');
    const cookies = await s.residentCtx.cookies(BASE);
    assert.equal(cookies.find((c) => c.name === 'gr_lang')?.value, 'en');

    // Remembered on the next page.
    await nav.click();
    await page.waitForURL('**/submit');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.locator('h1').innerText(), 'Report a problem');
    assert.ok(await page.locator('select#category option', { hasText: 'Sanitation and garbage collection' }).count() === 1);
    await h.checkPage(page, 'english-submit');
    await assertNoSideScroll(page, 'submit in English (phone)');
  });

  it('no request left the server origin; no console errors or CSP violations', () => {
    assert.ok(h.requests.length > 20, `only ${h.requests.length} requests were recorded`);
    const offsite = h.requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== ORIGIN);
    assert.deepEqual(offsite, [], 'requests off the server origin');
    assert.deepEqual(h.problems, [], 'console errors, page errors or CSP violations');
    assert.ok(h.pagesChecked.length >= 12, `only ${h.pagesChecked.length} pages were checked`);
  });
});

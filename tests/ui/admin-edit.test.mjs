// The administrator edits the rules through the pages: a category's time
// limit and first handling level (refused once without a name, then saved;
// the API serves the change), and a year's holidays — an adjusted working
// day on a Monday refused beside its row, then a holiday and a weekend
// working day added and shown on the month view, then the holiday removed.
// The territory map drills down a level. The same pages on a 360 px phone
// do not scroll sideways. Same per-page checks as the other scenarios.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { DESKTOP, Harness, ORIGIN, PHONE, SCREENSHOTS, assertNoSideScroll, login, submitVia } from './lib.mjs';

const CATEGORY = 'education_health.school'; // 教育: no other scenario files one
// A year no built-in schedule covers and no deadline of this run reaches:
// 2031-01-01 is a Wednesday, the 4th a Saturday, the 6th a Monday.
const YEAR = 2031;
const RUN = Date.now() % 1e6;

const path = (page) => new URL(page.url()).pathname;
const alerts = async (page) => (await page.locator('[role=alert]').allInnerTexts()).join(' | ');
const dayClass = (page, date) => page.locator(`td[data-date="${date}"]`).getAttribute('class');

describe('the administrator edits time limits and holidays', () => {
  const h = new Harness({ shotFrom: 130 });
  const s = {};

  before(async () => {
    await h.start();
  });

  after(async () => {
    await h.stop();
  });

  it('browses the territory map one level down', async () => {
    const ctx = await h.context(DESKTOP);
    const page = await ctx.newPage();
    s.ctx = ctx;
    s.page = page;
    await login(h, page, 'admin', { home: '/admin' });
    await Promise.all([page.waitForURL('**/admin/territory'), page.locator('main nav a[href="/admin/territory"]').click()]);
    await h.checkPage(page, 'admin-territory');
    const shapes = page.locator('#territory-map a');
    assert.ok(await shapes.count() >= 2, 'the districts are on the map as links');
    // Zoom works (app.js changes the viewBox), then follow a district.
    const svg = page.locator('#territory-map');
    const box = await svg.getAttribute('viewBox');
    await page.locator('.map-tools button[data-zoom=in]').click();
    assert.notEqual(await svg.getAttribute('viewBox'), box, 'zoomed in');
    await page.locator('.map-tools button[data-zoom=reset]').click();
    const first = await shapes.first().getAttribute('href');
    const code = new URL(first, ORIGIN).searchParams.get('unit');
    await page.goto(first);
    assert.equal(await page.locator('[data-testid=unit-details] dd.code').innerText(), code);
    assert.ok(await page.locator('#territory-map a').count() >= 1, `the streets of ${code} are drawn`);
    await h.checkPage(page, 'admin-territory-district');
  });

  it('changes a category\'s time limit: refused once, then saved and served', async () => {
    const page = s.page;
    assert.ok(page, 'needs the administrator of the previous step');
    await page.goto('/admin');
    await Promise.all([page.waitForURL('**/admin/taxonomy'), page.locator('main nav a[href="/admin/taxonomy"]').click()]);
    await h.checkPage(page, 'admin-taxonomy');
    const group = page.locator('details[data-group=education_health]');
    await group.locator('summary').click();
    await Promise.all([
      page.waitForURL(`**/admin/taxonomy/${CATEGORY}`),
      group.locator(`a[href="/admin/taxonomy/${CATEGORY}"]`).click(),
    ]);
    await h.checkPage(page, 'admin-category');
    s.before = {
      limit: await page.inputValue('select#limit'),
      level: await page.inputValue('select#default_level'),
      name: await page.inputValue('#name'),
    };
    assert.equal(s.before.limit, 'general');

    await page.selectOption('select#limit', 'complex');
    await page.selectOption('select#default_level', 'district');
    await page.fill('#name', '');
    await page.fill('#reason', `UI 测试 ${RUN}`);
    const save = page.locator('form[data-testid=category-form] button[type=submit]');
    h.expectStatus(`/admin/taxonomy/${CATEGORY}`, 422);
    let r = await submitVia(page, save);
    assert.equal(r.status(), 422, 'an empty name is refused');
    await h.checkPage(page, 'admin-category-refused');
    const name = page.locator('#name');
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.equal(await name.getAttribute('aria-describedby'), 'name-error');
    assert.equal(await name.evaluate((el) => el.nextElementSibling?.id), 'name-error', 'the message follows its field');
    assert.match(await page.locator('#name-error').innerText(), /请填写名称/);
    assert.equal(await page.inputValue('select#limit'), 'complex', 'the class typed is kept');
    assert.equal(await page.inputValue('select#default_level'), 'district');
    assert.equal(await page.inputValue('#reason'), `UI 测试 ${RUN}`);
    let api = await h.contextJson(s.ctx, '/api/v1/admin/taxonomy');
    assert.equal(api.taxonomy.categories.find((c) => c.code === CATEGORY).limit, 'general', 'nothing saved');

    await name.fill(s.before.name);
    r = await submitVia(page, save);
    assert.equal(r.status(), 200, `saving: ${r.status()} ${await alerts(page)}`);
    assert.equal(path(page), `/admin/taxonomy/${CATEGORY}`);
    assert.equal(new URL(page.url()).searchParams.get('saved'), '1');
    assert.ok(await page.locator('[data-testid=saved]').isVisible());
    assert.equal(await page.inputValue('select#limit'), 'complex');
    await h.checkPage(page, 'admin-category-saved');
    api = await h.contextJson(s.ctx, '/api/v1/admin/taxonomy');
    const c = api.taxonomy.categories.find((x) => x.code === CATEGORY);
    assert.equal(c.limit, 'complex');
    assert.equal(c.default_level, 'district');
    s.saved = true;
  });

  it('adds a year\'s holidays: refused beside the row, saved, shown by day, removed', async () => {
    const page = s.page;
    assert.ok(page, 'needs the administrator');
    await page.goto('/admin');
    await Promise.all([page.waitForURL('**/admin/calendar'), page.locator('main nav a[href="/admin/calendar"]').click()]);
    await h.checkPage(page, 'admin-calendar');
    await page.fill('#year', String(YEAR));
    await submitVia(page, page.locator('form[action="/admin/calendar"] button[type=submit]'));
    assert.equal(path(page), `/admin/calendar/${YEAR}`);
    await h.checkPage(page, 'admin-calendar-year-empty');
    assert.equal(await dayClass(page, `${YEAR}-01-01`), 'day-workday');
    assert.equal(await dayClass(page, `${YEAR}-01-04`), 'day-weekend');

    const form = page.locator('form[data-testid=rows-form]');
    await form.locator('#source').fill(`UI 测试通知 ${RUN}`);
    await form.locator('#h0-name').fill('元旦');
    await form.locator('#h0-name_en').fill("New Year's Day");
    await form.locator('#h0-from').fill(`${YEAR}-01-01`);
    await form.locator('#h0-to').fill(`${YEAR}-01-01`);
    await form.locator('#w0-date').fill(`${YEAR}-01-06`);
    await form.locator('#w0-name').fill('元旦调休');
    const save = form.locator('button[type=submit]');
    h.expectStatus(`/admin/calendar/${YEAR}`, 422);
    let r = await submitVia(page, save);
    assert.equal(r.status(), 422, 'a Monday cannot be an adjusted working day');
    await h.checkPage(page, 'admin-calendar-refused');
    const w0 = page.locator('#w0-date');
    assert.equal(await w0.getAttribute('aria-invalid'), 'true');
    assert.equal(await w0.getAttribute('aria-describedby'), 'w0-date-error');
    assert.match(await page.locator('#w0-date-error').innerText(), new RegExp(`${YEAR}-01-06 是星期一`));
    assert.equal(await page.locator('[aria-invalid=true]').count(), 1, 'only that field is refused');
    assert.equal(await page.inputValue('#h0-name'), '元旦', 'the rows typed are kept');
    assert.equal(await page.inputValue('#h0-from'), `${YEAR}-01-01`);
    assert.equal(await page.inputValue('#source'), `UI 测试通知 ${RUN}`);
    let cal = await h.contextJson(s.ctx, '/api/v1/calendar');
    assert.ok(!cal.years.some((y) => y.year === YEAR), 'nothing saved');

    await page.locator('#w0-date').fill(`${YEAR}-01-04`);
    r = await submitVia(page, page.locator('form[data-testid=rows-form] button[type=submit]'));
    assert.equal(r.status(), 200, `saving: ${r.status()} ${await alerts(page)}`);
    assert.equal(new URL(page.url()).searchParams.get('saved'), '1');
    assert.ok(await page.locator('[data-testid=saved]').isVisible());
    assert.equal(await dayClass(page, `${YEAR}-01-01`), 'day-holiday');
    assert.equal(await dayClass(page, `${YEAR}-01-04`), 'day-adjusted');
    assert.match(await page.locator('[data-testid=holidays]').innerText(), /元旦/);
    await h.checkPage(page, 'admin-calendar-saved');
    cal = await h.contextJson(s.ctx, '/api/v1/calendar');
    const y = cal.years.find((x) => x.year === YEAR);
    assert.ok(y, `the API serves ${YEAR}`);
    assert.deepEqual(y.holidays.map((x) => [x.name, x.from, x.to]), [['元旦', `${YEAR}-01-01`, `${YEAR}-01-01`]]);
    assert.deepEqual(y.workdays.map((x) => x.date), [`${YEAR}-01-04`]);

    // Remove the holiday (and its working day) by ticking their rows.
    await page.check('#h0-remove');
    await page.check('#w0-remove');
    r = await submitVia(page, page.locator('form[data-testid=rows-form] button[type=submit]'));
    assert.equal(r.status(), 200, `removing: ${r.status()} ${await alerts(page)}`);
    assert.equal(await dayClass(page, `${YEAR}-01-01`), 'day-workday');
    assert.equal(await dayClass(page, `${YEAR}-01-04`), 'day-weekend');
    cal = await h.contextJson(s.ctx, '/api/v1/calendar');
    assert.deepEqual(cal.years.find((x) => x.year === YEAR).holidays, []);
  });

  it('the pages fit a 360 px phone', async () => {
    const ctx = await h.context(PHONE);
    const page = await ctx.newPage();
    await login(h, page, 'admin', { home: '/admin' });
    for (const [url, name] of [
      ['/admin/taxonomy', 'phone-taxonomy'],
      [`/admin/taxonomy/${CATEGORY}`, 'phone-category'],
      [`/admin/calendar/${YEAR}`, 'phone-calendar-year'],
      ['/admin/territory', 'phone-territory'],
      ['/admin/territory/import', 'phone-territory-import'],
    ]) {
      const r = await page.goto(url);
      assert.equal(r.status(), 200, url);
      await h.checkPage(page, name);
      await assertNoSideScroll(page, name);
      // What the phone shows first (the full page is in the shot above).
      const file = join(SCREENSHOTS, `${String(h.shotNo++).padStart(2, '0')}-${name}-screen.png`);
      await page.screenshot({ path: file });
    }
  });

  it('puts the category back as it was', async () => {
    assert.ok(s.saved, 'needs the saved category');
    const page = s.page;
    await page.goto(`/admin/taxonomy/${CATEGORY}`);
    await page.selectOption('select#limit', s.before.limit);
    await page.selectOption('select#default_level', s.before.level);
    const r = await submitVia(page, page.locator('form[data-testid=category-form] button[type=submit]'));
    assert.equal(r.status(), 200, `restoring: ${r.status()} ${await alerts(page)}`);
    const api = await h.contextJson(s.ctx, '/api/v1/admin/taxonomy');
    assert.equal(api.taxonomy.categories.find((c) => c.code === CATEGORY).limit, s.before.limit);
  });

  it('no request left the server origin; no console errors or CSP violations', () => {
    const offsite = h.requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== ORIGIN);
    assert.deepEqual(offsite, [], 'requests off the server origin');
    assert.deepEqual(h.problems, [], 'console errors, page errors or CSP violations');
    assert.ok(h.pagesChecked.length >= 14, `only ${h.pagesChecked.length} pages were checked`);
  });
});

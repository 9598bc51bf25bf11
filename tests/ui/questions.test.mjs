// Ask the government (网络问政) in Chromium: a resident on a phone asks a
// department in public, is shown a look-alike question first and asks
// anyway, then follows another question; the department's staff find it
// in their queue by deadline and answer it in public; anyone reads the
// answer, in English too. Same per-page checks as the main scenario.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { DESKTOP, Harness, ORIGIN, PHONE, assertNoSideScroll, login, submitVia } from './lib.mjs';

describe('ask the government', () => {
  const h = new Harness({ shotFrom: 110 });
  let resident;
  let staff;
  let questionPath;
  const title = `小区路灯坏了一个月没人修 ${Date.now() % 100000}`;

  before(async () => {
    await h.start();
    resident = await (await h.context(PHONE)).newPage();
    staff = await (await h.context(DESKTOP)).newPage();
  });

  after(async () => {
    await h.stop();
  });

  it('the public list shows the demo questions in every state', async () => {
    const resp = await resident.goto('/questions');
    assert.equal(resp.status(), 200);
    await h.checkPage(resident, 'questions');
    await assertNoSideScroll(resident, 'questions (phone)');
    const items = resident.locator('[data-testid=questions-list] > li');
    assert.ok((await items.count()) >= 10, 'the demo has questions');
    const text = await resident.locator('main').innerText();
    assert.match(text, /已答复/);
    assert.match(text, /待答复/);
    assert.doesNotMatch(text, /1[3-9]\d{9}/);
  });

  it('a resident on a phone asks; a bad form keeps what was typed', async () => {
    await login(h, resident, 'resident');
    await resident.goto('/questions/ask');
    await h.checkPage(resident, 'question-ask');
    await assertNoSideScroll(resident, 'question-ask (phone)');
    await resident.selectOption('#department', '230602-HS');
    await resident.fill('#title', title);
    await resident.fill('#body', '短');
    h.expectStatus('/questions/ask', 422);
    let r = await submitVia(resident, resident.locator('form[action="/questions/ask"] button[type=submit]'));
    assert.equal(r.status(), 422);
    assert.equal(await resident.inputValue('#title'), title, 'the title is kept');
    assert.equal(await resident.getAttribute('#body', 'aria-invalid'), 'true');
    await h.checkPage(resident, 'question-ask-refused');
    await resident.fill('#body', '我家门前的路灯已经坏了一个月，晚上出行很不安全，请问归哪个部门管，什么时候能修好？');
    r = await submitVia(resident, resident.locator('form[action="/questions/ask"] button[type=submit]'));
    assert.equal(r.status(), 200);
    questionPath = new URL(resident.url()).pathname;
    assert.match(questionPath, /^\/questions\/\d+$/);
    assert.equal(await resident.locator('[data-testid=question-title]').innerText(), title);
    assert.ok(await resident.locator('.notice').isVisible(), 'told that it is public');
    await h.checkPage(resident, 'question-asked');
  });

  it('asking it again shows the look-alike first, and the resident follows it instead', async () => {
    await resident.goto('/questions/ask');
    await resident.selectOption('#department', '230602-UM');
    await resident.fill('#title', title.replace('没人修', '一直没有人修'));
    await resident.fill('#body', '路灯坏了很久了，晚上很黑，希望尽快维修，谢谢。');
    const r = await submitVia(resident, resident.locator('form[action="/questions/ask"] button[type=submit]'));
    assert.equal(r.status(), 200);
    const similar = resident.locator('[data-testid=similar]');
    assert.ok(await similar.isVisible(), 'look-alikes are offered');
    await h.checkPage(resident, 'question-similar');
    await similar.locator(`a[href="${questionPath}"]`).click();
    await resident.waitForURL(`**${questionPath}`);
    await h.checkPage(resident, 'question-to-follow');
    await submitVia(resident, resident.getByRole('button', { name: '关注此问题' }));
    // Asking makes no follower; following does.
    assert.equal(await resident.locator('[data-testid=followers]').innerText(), '1');
    assert.ok(await resident.getByRole('button', { name: '取消关注' }).isVisible());
  });

  it("the department finds it in its queue and answers in public", async () => {
    await login(h, staff, 'department');
    await staff.goto('/questions');
    await h.checkPage(staff, 'questions-queue');
    const link = staff.locator(`[data-testid=questions-list] a[href="${questionPath}"]`);
    assert.ok(await link.isVisible(), 'the new question is in the queue');
    await link.click();
    await staff.waitForURL(`**${questionPath}`);
    await h.checkPage(staff, 'question-answer-form');
    await staff.fill('#text', '您好，该路段路灯已安排维修，预计三个工作日内修复。');
    const r = await submitVia(staff, staff.getByRole('button', { name: '公开答复' }));
    assert.equal(r.status(), 200);
    assert.match(await staff.locator('[data-testid=answer]').innerText(), /三个工作日内修复/);
    assert.match(await staff.locator('[data-testid=status]').innerText(), /已答复/);
  });

  it('anyone reads the answer, in English too', async () => {
    const page = await (await h.context({ ...PHONE, locale: 'en' })).newPage();
    await page.goto(questionPath + '?lang=en');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await h.checkPage(page, 'question-en');
    assert.match(await page.locator('main').innerText(), /Department's answer/);
    assert.match(await page.locator('[data-testid=answer]').innerText(), /三个工作日内修复/);
  });

  it('no request left the server origin; no console errors or CSP violations', () => {
    const offsite = h.requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== ORIGIN);
    assert.deepEqual(offsite, [], 'requests off the server origin');
    assert.deepEqual(h.problems, [], 'console errors, page errors or CSP violations');
  });
});

// People's mediation and the back office: a mediator registers a walk-in
// dispute (refused once without facts), runs it to a written agreement,
// reveals the parties and opens the agreement (page and PDF); street staff
// see only a summary of it; the administrator creates an account (refused
// once, then made; it can sign in) and issues and revokes an Open311 key;
// the auditor finds the account's creation in the verified audit trail; the
// case page in English. Same per-page checks as the main scenario.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { DESKTOP, Harness, ORIGIN, login, submitVia } from './lib.mjs';

const STREET = '230602001'; // the demo mediator's street (兴化街道)
const RUN = Date.now() % 1e6;
const FACTS = `UI 测试：楼上住户每晚十点后装修，噪音扰民已近两周。(${RUN})`;
const CLAIMS = '要求晚间停止施工，并赔偿隔音修补费用。';
const APPLICANT = { name: '张明远', phone: '13800138001', masked: '张**', phoneMasked: '138****8001' };
const RESPONDENT = { name: '李桂芳', masked: '李**' };
const MINUTES = '双方到场陈述，被申请人同意调整施工时间。';
const DUTY = '每日 20:00 后停止施工，并支付隔音修补费 800 元';
const PASSWORD = 'ui-test-password-1';

/** `YYYY-MM-DD` in China, `days` from now. */
const chinaDate = (days) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' })
  .format(new Date(Date.now() + days * 86_400_000));

const path = (page) => new URL(page.url()).pathname;

/** The text of the case's status badge. */
const disputeStatus = async (page) =>
  (await page.locator('[data-testid=dispute-status] .badge').first().innerText()).trim();

/** The messages of a refused step or form, for an assertion's message. */
const alerts = async (page) => (await page.locator('[role=alert]').allInnerTexts()).join(' | ');

describe('mediation, administration and audit', () => {
  const h = new Harness({ shotFrom: 70 });
  const s = {}; // what the steps hand on: case id, mediator page, new account

  before(async () => {
    await h.start();
  });

  after(async () => {
    await h.stop();
  });

  it('a mediator sees the cases of their area and filters them', async () => {
    const ctx = await h.context(DESKTOP);
    const page = await ctx.newPage();
    s.mediatorCtx = ctx;
    s.mediatorPage = page;
    await login(h, page, 'mediator', { home: '/disputes' });
    await h.checkPage(page, 'disputes');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');

    const rows = page.locator('table.list tbody tr');
    const total = await rows.count();
    assert.ok(total > 0, 'the demo mediator has cases');
    // Filter by the status of the first row: every row left has it.
    const badge = (await rows.first().locator('td:nth-child(3) .badge').innerText()).trim();
    const status = await page.$eval('select#status', (sel, text) =>
      [...sel.options].find((o) => o.textContent.trim() === text)?.value, badge);
    assert.ok(status, `the status filter offers "${badge}"`);
    await page.selectOption('select#status', status);
    const r = await submitVia(page, page.locator('form[action="/disputes"] button[type=submit]'));
    assert.equal(r.status(), 200);
    assert.equal(new URL(page.url()).searchParams.get('status'), status, 'a GET form');
    assert.equal(await page.inputValue('select#status'), status, 'the filter keeps its value');
    const badges = await page.locator('table.list tbody tr td:nth-child(3) .badge').allInnerTexts();
    assert.ok(badges.length >= 1 && badges.length <= total, `${badges.length} rows for ${status}`);
    assert.deepEqual([...new Set(badges.map((b) => b.trim()))], [badge], `only "${badge}" cases are listed`);
    await h.checkPage(page, 'disputes-filtered');
  });

  it('registers a walk-in: refused without the facts, then opened', async () => {
    const page = s.mediatorPage;
    assert.ok(page, 'needs the mediator of the previous step');
    await page.goto('/disputes');
    await Promise.all([page.waitForURL('**/disputes/new'), page.locator('main a[href="/disputes/new"]').click()]);
    await h.checkPage(page, 'dispute-new', { shot: false });

    const units = await page.$$eval('select#unit option', (os) => os.map((o) => o.value));
    const unit = units.find((v) => v.startsWith(STREET));
    assert.ok(unit, `a community of street ${STREET} is offered`);
    await page.selectOption('select#dispute_type', 'neighbours');
    await page.fill('#claims', CLAIMS);
    await page.selectOption('select#unit', unit);
    await page.fill('#applicant_name', APPLICANT.name);
    await page.fill('#applicant_phone', APPLICANT.phone);
    await page.fill('#respondent_name', RESPONDENT.name);
    const submit = page.locator('form[action="/disputes/new"] button[type=submit]');

    h.expectStatus('/disputes/new', 422);
    let r = await submitVia(page, submit);
    assert.equal(r.status(), 422, `without facts: ${r.status()}`);
    assert.equal(path(page), '/disputes/new');
    await h.checkPage(page, 'dispute-new-refused');
    const facts = page.locator('#facts');
    assert.equal(await facts.getAttribute('aria-invalid'), 'true', '#facts is marked invalid');
    assert.equal(await facts.getAttribute('aria-describedby'), 'facts-error');
    assert.equal((await page.locator('#facts-error').innerText()).trim(), '必填');
    assert.equal(await page.locator('[aria-invalid=true]').count(), 1, 'only the facts are refused');
    // Everything typed is kept.
    assert.equal(await page.inputValue('#applicant_name'), APPLICANT.name);
    assert.equal(await page.inputValue('#applicant_phone'), APPLICANT.phone);
    assert.equal(await page.inputValue('#respondent_name'), RESPONDENT.name);
    assert.equal(await page.inputValue('#claims'), CLAIMS);
    assert.equal(await page.inputValue('select#dispute_type'), 'neighbours');
    assert.equal(await page.inputValue('select#unit'), unit);

    await facts.fill(FACTS);
    r = await submitVia(page, submit);
    assert.equal(r.status(), 200, `registering: ${r.status()} ${await alerts(page)}`);
    const m = /^\/disputes\/(\d+)$/.exec(path(page));
    assert.ok(m, `registering went to ${page.url()}`);
    s.id = Number(m[1]);
  });

  it('runs the case to an agreement; the parties are masked until revealed', async () => {
    assert.ok(s.id, 'needs the case of the previous step');
    const page = s.mediatorPage;
    await h.checkPage(page, 'dispute-before');
    const main = page.locator('main');
    assert.equal(await disputeStatus(page), '待同意');
    assert.match(await page.locator('h1').innerText(), /邻里纠纷/);
    assert.ok((await main.innerText()).includes(FACTS), 'the facts are shown');
    assert.ok((await main.innerText()).includes(CLAIMS), 'the claims are shown');

    // Masked: neither full name nor phone anywhere in the page.
    const parties = page.locator('ul.cards').first();
    const masked = await parties.innerText();
    assert.ok(masked.includes(APPLICANT.masked) && masked.includes(RESPONDENT.masked), `parties: ${masked}`);
    assert.ok(masked.includes(APPLICANT.phoneMasked), `the phone is masked: ${masked}`);
    let html = await page.content();
    for (const secret of [APPLICANT.name, RESPONDENT.name, APPLICANT.phone]) {
      assert.ok(!html.includes(secret), `"${secret}" is not in the page before the reveal`);
    }

    const step = async (action) => {
      const details = page.locator('details.step', { has: page.locator(`input[name=action][value=${action}]`) });
      assert.equal(await details.count(), 1, `the page offers the step ${action}`);
      if (!(await details.evaluate((d) => d.open))) await details.locator('summary').click();
      return details.locator('form');
    };
    const run = async (form, what) => {
      const resp = await submitVia(page, form.locator('button[type=submit]'));
      assert.equal(resp.status(), 200, `${what}: ${resp.status()} ${await alerts(page)}`);
      assert.equal(path(page), `/disputes/${s.id}`, `${what} came back to the case`);
    };

    // Assign the demo mediator themselves.
    const me = await h.contextJson(s.mediatorCtx, '/api/v1/auth/me');
    const myName = me.display_name ?? me.user?.display_name;
    assert.ok(myName, `the mediator's name: ${JSON.stringify(me)}`);
    let form = await step('assign_mediators');
    const mine = form.locator('label', { hasText: myName }).locator('input[name=mediators]');
    assert.equal(await mine.count(), 1, `${myName} is offered as a mediator`);
    await mine.check();
    await run(form, 'assign_mediators');
    assert.ok((await main.innerText()).includes('指派调解员'), 'the timeline records the assignment');

    for (const party of ['0', '1']) {
      form = await step('consent');
      await form.locator('select[name=party]').selectOption(party);
      await form.locator('input[name=consent][value=yes]').check();
      await run(form, `consent of party ${party}`);
    }
    assert.equal(await disputeStatus(page), '调解中', 'both parties consented');
    assert.ok((await page.locator('ul.cards').first().innerText()).includes('同意'));

    form = await step('session');
    const present = form.locator('input[name=present]');
    assert.equal(await present.count(), 2);
    for (const p of await present.all()) assert.ok(await p.isChecked(), 'parties present are pre-ticked');
    await form.locator('#session-place').fill('兴化街道人民调解室');
    await form.locator('#session-minutes').fill(MINUTES);
    await run(form, 'session');
    assert.equal(await disputeStatus(page), '调解中');
    assert.ok((await main.innerText()).includes('记录调解'), 'the timeline records the session');

    const by = chinaDate(30);
    form = await step('agreement');
    assert.equal(await form.locator('#ag-facts').inputValue(), FACTS, 'the facts are offered for the agreement');
    await form.locator('#ag-matters').fill('夜间装修噪音及隔音修补费用。');
    await form.locator('#ag-resp').fill('被申请人未按规定时间施工，应承担主要责任。');
    await form.locator('#ag-obliged').selectOption('1');
    await form.locator('#ag-duty').fill(DUTY);
    await form.locator('#ag-how').fill('现金一次性支付');
    await form.locator('#ag-place').fill('兴化街道人民调解室');
    await form.locator('input[type=date][name=by]').fill(by);
    const signed = form.locator('input[name=signed]');
    assert.equal(await signed.count(), 2);
    for (const c of await signed.all()) await c.check();
    await run(form, 'agreement');
    assert.equal(await disputeStatus(page), '已达成协议');
    assert.equal(await page.locator('input[name=action][value=agreement]').count(), 0, 'agreed only once');
    await h.checkPage(page, 'dispute-agreed');

    // Still masked after the steps; the reveal shows the full names (and is logged).
    html = await page.content();
    assert.ok(!html.includes(APPLICANT.name) && !html.includes(RESPONDENT.name), 'masked after the steps');
    const reveal = page.locator(`form[action="/disputes/${s.id}/reveal"] button[type=submit]`);
    assert.equal((await reveal.innerText()).trim(), '查看完整信息');
    const r = await submitVia(page, reveal);
    assert.equal(r.status(), 200);
    const shown = await page.locator('ul.cards').first().innerText();
    assert.ok(shown.includes(APPLICANT.name) && shown.includes(RESPONDENT.name), `revealed: ${shown}`);
    assert.ok(shown.includes(APPLICANT.phone), `the full phone is shown: ${shown}`);
    assert.ok(!shown.includes(APPLICANT.masked), 'no masked name left');
    assert.equal(await page.locator(`form[action$="/reveal"]`).count(), 0, 'no second reveal button');
    await h.checkPage(page, 'dispute-revealed');

    // The agreement: a printable page naming the parties and the duty, and a PDF.
    await page.goto(`/disputes/${s.id}`);
    const printable = page.locator('main a[href$="/agreement"]');
    assert.equal(await printable.count(), 1, 'a link to the printable agreement');
    const pdfHref = await page.locator('main a[href$="/agreement?format=pdf"]').getAttribute('href');
    await Promise.all([page.waitForURL('**/agreement'), printable.click()]);
    await h.checkPage(page, 'agreement-document', { skipLink: false });
    const doc = await page.locator('body').innerText();
    assert.match(doc, /人民调解协议书/);
    for (const text of [APPLICANT.name, RESPONDENT.name, DUTY, FACTS, '现金一次性支付']) {
      assert.ok(doc.includes(text), `the agreement states "${text}"`);
    }
    // The obligation's row: who, the duty, and a deadline (checked to the day below).
    const cells = await page.locator('table tbody tr').first().locator('td').allInnerTexts();
    assert.equal(cells[1], `${RESPONDENT.name}：${DUTY}`, 'the obliged party and the duty');
    assert.match(cells[4], /^\d{4}-\d{2}-\d{2}$/, 'a deadline date');
    s.deadline = { typed: by, shown: cells[4] };
    assert.ok(!doc.includes(APPLICANT.masked), 'the agreement names the parties in full');

    h.requests.push(new URL(pdfHref, page.url()).href);
    const pdf = await s.mediatorCtx.request.get(pdfHref);
    assert.equal(pdf.status(), 200);
    assert.match(pdf.headers()['content-type'], /^application\/pdf/);
    const bytes = await pdf.body();
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF file');
    assert.ok(bytes.length > 1000, `the PDF has ${bytes.length} bytes`);
    s.agreed = true;

    // The list: "my cases" that are agreed include it.
    await page.goto('/disputes');
    await page.selectOption('select#status', 'agreed');
    await page.check('input[name=mine]');
    const r2 = await submitVia(page, page.locator('form[action="/disputes"] button[type=submit]'));
    assert.equal(r2.status(), 200);
    const q = new URL(page.url()).searchParams;
    assert.equal(q.get('status'), 'agreed');
    assert.equal(q.get('mine'), 'true');
    assert.ok(await page.isChecked('input[name=mine]'), '"mine" stays ticked');
    const row = page.locator('table.list tbody tr', { has: page.locator(`a[href="/disputes/${s.id}"]`) });
    assert.equal(await row.count(), 1, `my agreed cases list #${s.id}`);
    assert.match(await row.innerText(), /邻里纠纷\s+已达成协议/);
    await h.checkPage(page, 'disputes-mine-agreed');
  });

  // The form's date is the last instant of that day (China time), so the
  // document prints the date typed (it once printed the next day).
  it('the agreement states the deadline typed in the form', () => {
    assert.ok(s.deadline, 'needs the agreement document');
    assert.equal(s.deadline.shown, s.deadline.typed, 'the deadline in the agreement');
  });

  it('street staff see a summary of the case: no facts, no parties, no steps', async () => {
    assert.ok(s.agreed, 'needs the agreed case of the previous step');
    const ctx = await h.context(DESKTOP);
    const page = await ctx.newPage();
    await login(h, page, 'street', {});
    const resp = await page.goto(`/disputes/${s.id}`);
    assert.equal(resp.status(), 200, `street staff opening the case: ${resp.status()}`);
    await h.checkPage(page, 'dispute-summary');
    assert.equal(await disputeStatus(page), '已达成协议');
    const html = await page.content();
    for (const secret of [FACTS, CLAIMS, MINUTES, DUTY, APPLICANT.name, RESPONDENT.name, APPLICANT.masked, APPLICANT.phoneMasked]) {
      assert.ok(!html.includes(secret), `the summary does not show "${secret}"`);
    }
    assert.equal(await page.locator('details.step').count(), 0, 'no step');
    assert.equal(await page.locator('main form[method=post]').count(), 0, 'no form that changes the case');
    assert.equal(await page.locator('main a[href*="/agreement"]').count(), 0, 'no agreement link');
  });

  it('the administrator creates an account (refused once) and it can sign in', async () => {
    const ctx = await h.context(DESKTOP);
    const page = await ctx.newPage();
    s.adminPage = page;
    await login(h, page, 'admin', { home: '/admin' });
    await h.checkPage(page, 'admin');
    assert.ok(await page.locator('[data-testid=territory-levels] tbody tr').count() >= 3, 'territory levels');

    await Promise.all([page.waitForURL('**/admin/users'), page.locator('main a[href="/admin/users"]').click()]);
    await h.checkPage(page, 'admin-users');
    const listed = await page.locator('[data-testid=users] tbody tr').count();
    assert.ok(listed > 10, `${listed} accounts listed`);
    // The role filter (a GET form) keeps its value and lists only that role.
    await page.selectOption('select#filter-role', 'mediator');
    let r = await submitVia(page, page.locator('form[action="/admin/users"][method=get] button[type=submit]'));
    assert.equal(r.status(), 200);
    assert.equal(new URL(page.url()).searchParams.get('role'), 'mediator');
    assert.equal(await page.inputValue('select#filter-role'), 'mediator');
    const roles = await page.locator('[data-testid=users] tbody tr td:nth-child(3)').allInnerTexts();
    assert.ok(roles.length >= 1 && roles.length < listed, `${roles.length} mediators of ${listed}`);
    assert.deepEqual([...new Set(roles.map((t) => t.trim()))], ['调解员']);
    assert.equal(await page.locator('[data-testid=users] a', { hasText: /^mediator$/ }).count(), 1);

    const username = `ui-street-${RUN}`;
    await page.fill('#username', username);
    await page.selectOption('select#role', 'street_staff');
    await page.fill('#unit', STREET);
    await page.fill('#password', PASSWORD);
    const create = page.locator('form[action="/admin/users"][method=post] button[type=submit]');
    h.expectStatus('/admin/users', 422);
    r = await submitVia(page, create);
    assert.equal(r.status(), 422, `without a name: ${r.status()}`);
    await h.checkPage(page, 'admin-user-refused');
    const name = page.locator('#display_name');
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.equal(await name.getAttribute('aria-describedby'), 'display_name-error');
    const error = page.locator('#display_name-error');
    assert.match(await error.innerText(), /请填写姓名/);
    // The message sits right after its field.
    assert.equal(await name.evaluate((el) => el.nextElementSibling?.id), 'display_name-error');
    assert.equal(await page.inputValue('#username'), username, 'the username is kept');
    assert.equal(await page.inputValue('select#role'), 'street_staff');
    assert.equal(await page.inputValue('#unit'), STREET);
    assert.equal(await page.inputValue('#password'), '', 'the password is not sent back');

    await name.fill('UI 测试街道人员');
    await page.fill('#password', PASSWORD);
    r = await submitVia(page, create);
    assert.equal(r.status(), 200, `creating: ${r.status()} ${await alerts(page)}`);
    assert.equal(path(page), '/admin/users');
    assert.equal(new URL(page.url()).searchParams.get('created'), username);
    assert.match(await page.locator('main [role=status]').innerText(), new RegExp(username));
    // The list runs oldest first: find the account through the filters.
    await page.selectOption('select#filter-role', 'street_staff');
    await page.fill('#filter-unit', STREET);
    r = await submitVia(page, page.locator('form[action="/admin/users"][method=get] button[type=submit]'));
    assert.equal(r.status(), 200);
    const link = page.locator('[data-testid=users] a', { hasText: new RegExp(`^${username}$`) });
    assert.equal(await link.count(), 1, 'the new account is listed');
    s.userId = Number(/^\/admin\/users\/(\d+)$/.exec(await link.getAttribute('href'))[1]);
    const row = page.locator('[data-testid=users] tbody tr', { has: page.locator(`a[href="/admin/users/${s.userId}"]`) });
    assert.match(await row.innerText(), new RegExp(`UI 测试街道人员\\s+街道工作人员\\s+.*${STREET}`));
    await h.checkPage(page, 'admin-user-created');

    const other = await (await h.context(DESKTOP)).newPage();
    await login(h, other, username, { password: PASSWORD });
    assert.match(await other.locator('header .who').innerText(), new RegExp(`^${username} · 街道工作人员`));
    await h.checkPage(other, 'new-user-home');
  });

  it('the administrator issues an Open311 key (shown once) and revokes it', async () => {
    const page = s.adminPage;
    assert.ok(page, 'needs the administrator of the previous step');
    await page.goto('/admin');
    await Promise.all([page.waitForURL('**/admin/open311'), page.locator('main a[href="/admin/open311"]').click()]);
    await h.checkPage(page, 'admin-open311');

    const app = `UI 测试应用 ${RUN}`;
    await page.fill('#name', app);
    let r = await submitVia(page, page.locator('form[action="/admin/open311"] button[type=submit]'));
    assert.equal(r.status(), 201, `issuing: ${r.status()} ${await alerts(page)}`);
    const issued = page.locator('[data-testid=issued]');
    assert.ok(await issued.isVisible(), 'the issued key is shown');
    assert.ok((await issued.innerText()).includes(app));
    const key = await page.inputValue('#issued-key');
    assert.match(key, /^\S{20,}$/, `the key: ${key}`);
    const row = page.locator('[data-testid=clients] tr[data-client]', { hasText: app });
    assert.equal(await row.count(), 1, 'the client is listed');
    assert.equal(await row.locator('.badge.warn').count(), 0, 'not revoked');
    const clientId = await row.getAttribute('data-client');
    await h.checkPage(page, 'admin-key-issued');

    // Shown once: the list page does not have it any more.
    await page.goto('/admin/open311');
    assert.equal(await page.locator('[data-testid=issued]').count(), 0);
    assert.ok(!(await page.content()).includes(key), 'the key is not shown again');

    const revoke = page.locator(`tr[data-client="${clientId}"] form[action="/admin/open311/${clientId}/revoke"] button`);
    assert.ok((await revoke.getAttribute('aria-label') || '').includes(app), 'the revoke button names the client');
    r = await submitVia(page, revoke);
    assert.equal(r.status(), 200);
    assert.equal(new URL(page.url()).searchParams.get('revoked'), clientId);
    assert.ok((await page.locator('main [role=status]').innerText()).includes(clientId));
    const revoked = page.locator(`tr[data-client="${clientId}"]`);
    assert.equal(await revoked.locator('.badge.warn').count(), 1, 'the list shows it revoked');
    assert.match(await revoked.locator('.badge.warn').innerText(), /吊销/);
    assert.equal(await revoked.locator('form').count(), 0, 'no second revoke');
    await h.checkPage(page, 'admin-key-revoked');
  });

  it("the auditor sees the verified trail and finds the account's creation", async () => {
    assert.ok(s.userId, 'needs the account of the administrator step');
    const ctx = await h.context(DESKTOP);
    const page = await ctx.newPage();
    await login(h, page, 'auditor', { home: '/audit' });
    await h.checkPage(page, 'audit');
    const verify = page.locator('[data-testid=verify]');
    assert.equal(await verify.count(), 1, 'the chain verification is shown');
    assert.match(await verify.innerText(), /完整.*审计链校验通过：共 \d+ 条记录/s);
    const rows = page.locator('[data-testid=audit-rows] tbody tr');
    assert.ok(await rows.count() > 10, 'the trail has rows');
    // At the top: right under the heading, before the filters and the rows.
    assert.ok(await page.evaluate(() => {
      const v = document.querySelector('[data-testid=verify]');
      const before = (a, b) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
      return before(document.querySelector('main h1'), v) &&
        before(v, document.querySelector('form[action="/audit"]')) &&
        before(v, document.querySelector('[data-testid=audit-rows]'));
    }), 'the verification comes first');

    await page.fill('#audit-action', 'user.create');
    const r = await submitVia(page, page.locator('form[action="/audit"] button[type=submit]'));
    assert.equal(r.status(), 200);
    assert.equal(new URL(page.url()).searchParams.get('action'), 'user.create');
    assert.equal(await page.inputValue('#audit-action'), 'user.create', 'the filter keeps its value');
    const actions = await page.locator('[data-testid=audit-rows] tbody tr td:nth-child(5) code').allInnerTexts();
    assert.ok(actions.length >= 1, 'rows for user.create');
    assert.deepEqual([...new Set(actions)], ['user.create'], 'only user.create rows');
    const objects = await page.locator('[data-testid=audit-rows] tbody tr td:nth-child(6)').allInnerTexts();
    assert.ok(objects.some((o) => o.trim() === `user ${s.userId}`),
      `a row for the new account user ${s.userId}: ${objects.slice(0, 5)}`);
    const actors = await page.locator('[data-testid=audit-rows] tbody tr td:nth-child(3)').allInnerTexts();
    const by = actors[objects.findIndex((o) => o.trim() === `user ${s.userId}`)];
    assert.equal(by.split('\n')[0].trim(), 'admin', 'made by the administrator');
    assert.ok(await verify.isVisible(), 'the verification stays on top of a filtered trail');
    await h.checkPage(page, 'audit-filtered');

    // Every read of the case's parties is on the record: the reveal, the
    // printable agreement and its PDF.
    await page.fill('#audit-action', 'dispute.reveal_parties');
    await page.fill('#audit-object-id', String(s.id));
    await submitVia(page, page.locator('form[action="/audit"] button[type=submit]'));
    assert.equal(await page.inputValue('#audit-object-id'), String(s.id));
    const reads = await page.locator('[data-testid=audit-rows] tbody tr').allInnerTexts();
    assert.ok(reads.length >= 3, `${reads.length} recorded reads of case ${s.id}'s parties`);
    for (const t of reads) {
      assert.match(t, new RegExp(`\\tmediator\\n[\\s\\S]*\\tdispute\\.reveal_parties\\n[\\s\\S]*\\tdispute ${s.id}\\t`), t);
    }
  });

  it('the case page in English: the steps are named in English', async () => {
    assert.ok(s.agreed, 'needs the agreed case');
    const page = s.mediatorPage;
    await page.goto(`/disputes/${s.id}`);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    const toggle = page.locator('[data-testid=switch-lang]');
    assert.equal((await toggle.innerText()).trim(), 'English');
    await submitVia(page, toggle);
    assert.equal(path(page), `/disputes/${s.id}`, 'the switch comes back to the case');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await h.checkPage(page, 'dispute-english');
    assert.equal(await disputeStatus(page), 'Agreed');
    assert.match(await page.locator('h1').innerText(), /^[\x20-\x7e]+$/, 'the case type in English');
    const steps = (await page.locator('details.step > summary').allInnerTexts()).map((t) => t.trim());
    assert.ok(steps.length >= 1, 'steps are offered on an agreed case');
    for (const t of steps) assert.match(t, /^[A-Z][A-Za-z' -]+$/, `the step "${t}" is in English`);
    const timeline = await page.locator('ol.timeline strong').allInnerTexts();
    for (const t of ['Registered', 'Assign mediators', 'Record consent', 'Record a session', 'Agreement']) {
      assert.ok(timeline.includes(t), `the timeline says "${t}": ${timeline}`);
    }
  });

  it('no request left the server origin; no console errors or CSP violations', () => {
    assert.ok(h.requests.length > 20, `only ${h.requests.length} requests were recorded`);
    const offsite = h.requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== ORIGIN);
    assert.deepEqual(offsite, [], 'requests off the server origin');
    assert.deepEqual(h.problems, [], 'console errors, page errors or CSP violations');
    assert.ok(h.pagesChecked.length >= 18, `only ${h.pagesChecked.length} pages were checked`);
  });

  // The revealed parties are a POST's answer at /disputes/{id}/reveal; the
  // language switch must send the browser back to the case, not there.
  it('switching language on the revealed parties stays on the case', async () => {
    assert.ok(s.agreed, 'needs the agreed case');
    const page = s.mediatorPage;
    await page.goto(`/disputes/${s.id}`);
    await submitVia(page, page.locator(`form[action="/disputes/${s.id}/reveal"] button[type=submit]`));
    const r = await submitVia(page, page.locator('[data-testid=switch-lang]'));
    assert.equal(r.status(), 200, `the language switch answered ${r.status()} at ${page.url()}`);
    assert.match(r.headers()['content-type'], /^text\/html/);
  });
});

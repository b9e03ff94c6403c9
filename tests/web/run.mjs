// run.mjs - browser tests of the web console, customer portal and dashboard.
//
// Starts the real casebook binary (init + the demo data set, whose agent
// and customer have the demo password) on a loopback port, drives the
// system's chromium headless with playwright-core, and checks what the
// pages show against what the API then holds. One "ok - NAME" or
// "FAIL - NAME" line per scenario, then "web: N ok, N failing". Screenshots
// of every main page go to build/web-artifacts/ (never committed).
// Usage: node tests/web/run.mjs CASEBOOK_BINARY
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = resolve(process.argv[2] || process.env.CASEBOOK_BIN || join(ROOT, 'build/asan/casebook'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ART = join(ROOT, 'build', 'web-artifacts');
const ONLY = process.env.K || '';
const AGENT = 'maria.lopez@support.example';
const CUSTOMER = 'alice@northwind.example';
const PASSWORD = 'casebook-demo';

function fail(msg) { throw new Error(msg); }
function assert(cond, msg) { if (!cond) fail(msg); }

// ---- the server ----
async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'cb-web-'));
  const init = execFileSync(BIN, ['init', '--data', dir], { encoding: 'utf8' });
  const token = init.trim().split('\n').pop().trim();
  execFileSync(BIN, ['demo', '--data', dir], { encoding: 'utf8' });
  const log = openSync(join(dir, 'server.log'), 'a');
  const proc = spawn(BIN, ['serve', '--data', dir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', log] });
  const rl = createInterface({ input: proc.stdout });
  const line = await new Promise((res, rej) => {
    rl.once('line', res);
    proc.once('exit', (c) => rej(new Error(`server exited with ${c}`)));
  });
  assert(line.startsWith('listening on http://'), `server did not start: ${line}`);
  const base = line.trim().slice('listening on '.length).replace(/\/$/, '');
  return { dir, token, proc, base };
}

async function stopServer(s) {
  const done = new Promise((res) => s.proc.once('exit', (code, sig) => res({ code, sig })));
  s.proc.kill('SIGTERM');
  const { code } = await done;
  return code;
}

let srv;
async function api(method, path, body, token = srv.token) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(srv.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null, headers: r.headers };
}
async function ok(method, path, body, want) {
  const r = await api(method, path, body);
  assert(r.status === (want || (method === 'POST' ? 201 : 200)), `${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

// ---- the browser ----
let browser;
async function page(user) {
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const p = await ctx.newPage();
  p.setDefaultTimeout(15000);
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  p.on('console', (m) => { if (m.type() === 'error' && !/status of 40[134]/.test(m.text())) errors.push(m.text()); });
  p.errors = errors;
  if (user) await login(p, user);
  return p;
}

async function login(p, email) {
  await p.goto(srv.base + '/');
  await p.getByLabel('E-mail').fill(email);
  await p.getByLabel('Password').fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('button', { name: 'Log out' }).waitFor();
}

async function shot(p, name) {
  await p.screenshot({ path: join(ART, `${name}.png`), fullPage: true });
}

async function done(p) {
  const errs = p.errors;
  await p.context().close();
  assert(errs.length === 0, `errors in the page: ${errs.join(' | ')}`);
}

// ---- scenarios ----
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('headers_and_assets', async () => {
  const r = await fetch(srv.base + '/');
  assert(r.status === 200 && r.headers.get('content-type').startsWith('text/html'), 'GET / is the page');
  const csp = r.headers.get('content-security-policy') || '';
  assert(/script-src 'self'/.test(csp) && !/unsafe-inline/.test(csp) && /frame-ancestors 'none'/.test(csp), `CSP: ${csp}`);
  assert(r.headers.get('x-content-type-options') === 'nosniff' && r.headers.get('x-frame-options') === 'DENY', 'nosniff, DENY');
  assert(r.headers.get('cache-control') === 'no-cache', 'Cache-Control');
  const html = await r.text();
  assert(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'no inline script in the page');
  const js = await fetch(srv.base + '/app/main.js');
  assert(js.status === 200 && js.headers.get('content-type').startsWith('text/javascript'), 'main.js is JavaScript');
  const css = await fetch(srv.base + '/app/app.css');
  assert(css.status === 200 && css.headers.get('content-type').startsWith('text/css'), 'app.css is CSS');
  for (const bad of ['/app/nope.js', '/app/index.html', '/app/..%2Fmain.js'])
    assert((await fetch(srv.base + bad)).status === 404, `${bad} is a 404`);
});

// Issue 14 item 3: the badge shows the clock the queue is ordered by: every
// row of the breached queue shows a breach, and the badges of a queue go
// breached (longest overdue first), then due (soonest first), then paused,
// then none.
test('badges_follow_the_urgency_order', async () => {
  const p = await page(AGENT);
  for (const [link, heading] of [['Breached', 'Queue: Breached'], ['All open', 'Queue: All open']]) {
    await p.getByRole('link', { name: link, exact: true }).click();
    await p.getByRole('heading', { name: heading }).waitFor();
    const badges = await p.locator('table.tickets tbody tr .sla-badge').evaluateAll((els) => els.map((el) => ({
      kind: el.dataset.kind || (el.classList.contains('sla-paused') ? 'paused' : 'none'),
      at: Number(el.dataset.at || 0), text: el.textContent })));
    assert(badges.length > 0, `${link}: no rows`);
    if (link === 'Breached') {
      const wrong = badges.filter((b) => b.kind !== 'breached' || !/breached/.test(b.text));
      assert(wrong.length === 0, `${wrong.length} of ${badges.length} breached rows show ${wrong.map((b) => b.text).slice(0, 3).join(', ')}`);
    }
    const rank = { breached: 0, due: 1, paused: 2, none: 3 };
    for (let i = 1; i < badges.length; i++) {
      const a = badges[i - 1], b = badges[i];
      const inOrder = rank[a.kind] < rank[b.kind] || (rank[a.kind] === rank[b.kind] && (a.at <= b.at || a.kind === 'paused' || a.kind === 'none'));
      assert(inOrder, `${link}: row ${i} "${a.text}" before "${b.text}"`);
    }
  }
  await done(p);
});

test('login_logout_and_wrong_password', async () => {
  const p = await page();
  await p.goto(srv.base + '/');
  await p.getByRole('heading', { name: 'Sign in to Casebook' }).waitFor();
  await shot(p, 'login');
  await p.getByLabel('E-mail').fill(AGENT);
  await p.getByLabel('Password').fill('not the password');
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByText('Wrong e-mail or password.').waitFor();
  // keyboard only: the password field, Enter submits
  await p.getByLabel('Password').fill(PASSWORD);
  await p.getByLabel('Password').press('Enter');
  await p.getByRole('heading', { name: 'Queue: Mine' }).waitFor();
  const cookies = await p.context().cookies();
  const c = cookies.find((x) => x.name === 'cb_session');
  assert(c && c.httpOnly && c.sameSite === 'Lax', `session cookie ${JSON.stringify(c)}`);
  assert(await p.evaluate(() => document.cookie.indexOf('cb_session') < 0), 'the cookie is not readable from scripts');
  // a reload keeps the session (GET /api/v1/session on page load)
  await p.reload();
  await p.getByRole('heading', { name: 'Queue: Mine' }).waitFor();
  await p.getByRole('button', { name: 'Log out' }).click();
  await p.getByRole('heading', { name: 'Sign in to Casebook' }).waitFor();
  const r = await p.evaluate(async () => (await fetch('/api/v1/session')).status);
  assert(r === 401, `after logout GET /api/v1/session is ${r}`);
  await done(p);
});

test('login_throttle_says_how_long_to_wait', async () => {
  // an account of its own: the demo agent's logins stay unthrottled
  await ok('POST', '/api/v1/users', { email: 'throttled@support.example', role: 'agent', password: 'the right one' });
  const p = await page();
  await p.goto(srv.base + '/');
  await p.getByLabel('E-mail').fill('throttled@support.example');
  for (let i = 0; i < 5; i++) {
    await p.getByLabel('Password').fill(`wrong ${i}`);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByText('Wrong e-mail or password.').waitFor();
    await p.evaluate(() => { document.querySelector('p.error').textContent = ''; });
  }
  await p.getByLabel('Password').fill('the right one');
  await p.getByRole('button', { name: 'Sign in' }).click();
  const m = p.getByText(/Too many failed attempts\. Try again in \d+ seconds\./);
  await m.waitFor();
  const secs = parseInt((await m.textContent()).match(/in (\d+) seconds/)[1], 10);
  assert(secs > 0 && secs <= 30, `wait shown: ${secs}`);
  await shot(p, 'login-throttled');
  // the browser logs the refused request itself; that is expected here
  const rest = p.errors.filter((e) => !/status of 429/.test(e));
  p.errors.length = 0;
  p.errors.push(...rest);
  await done(p);
});

test('queues_sla_countdown_and_keyboard', async () => {
  const p = await page(AGENT);
  await p.getByRole('link', { name: 'All open' }).click();
  await p.getByRole('heading', { name: 'Queue: All open' }).waitFor();
  const rows = p.locator('table.tickets tbody tr');
  const n = await rows.count();
  const want = (await ok('GET', '/api/v1/views/all_open/tickets?limit=100')).items;
  assert(n === want.length && n > 0, `queue shows ${n} rows, the API ${want.length}`);
  // the rows are in the server's urgency order
  const ids = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id)));
  assert(JSON.stringify(ids) === JSON.stringify(want.map((t) => t.id)), 'queue order');
  // a running clock counts down every second (computed in the browser)
  const running = want.findIndex((t) => t.sla && t.sla.urgency && t.sla.urgency.state === 'due');
  if (running >= 0) {
    const b = rows.nth(running).locator('.sla-badge');
    const first = await b.textContent();
    assert(/due in|breached/.test(first), `badge text ${first}`);
    await p.waitForFunction(([el, t]) => el.textContent !== t, [await b.elementHandle(), first], { timeout: 5000 });
  }
  assert(await p.locator('.sla-badge.sla-breached').count() > 0, 'breached clocks are shown');
  await shot(p, 'queue');
  // keyboard: j j k selects the second row... then Enter opens it
  await p.locator('body').press('j');
  await p.locator('body').press('j');
  await p.keyboard.press('j');
  await p.keyboard.press('k');
  const sel = await p.locator('tr[aria-selected="true"]').getAttribute('data-id');
  assert(Number(sel) === ids[1], `selected ${sel}, want the second row ${ids[1]}`);
  assert(await p.evaluate(() => document.activeElement.getAttribute('aria-selected')) === 'true', 'the selected row has the focus');
  await p.keyboard.press('Enter');
  await p.waitForURL(`**/#/ticket/${ids[1]}`);
  await p.getByRole('heading', { name: new RegExp(`^#${ids[1]} `) }).waitFor();
  await done(p);
});

test('agent_works_ticket_new_to_solved', async () => {
  const t = await ok('POST', '/api/v1/tickets', { subject: 'Webhook deliveries time out', description: 'Since Monday every webhook call to our endpoint times out after 10 s.', account: 'Northwind Health', requester: CUSTOMER, priority: 'P2' });
  assert(t.status === 'new', 'a fresh ticket is new');
  const art = await ok('POST', '/api/v1/articles', { type: 'kb', title: 'Webhook deliveries time out', body: 'Raise the endpoint timeout; deliveries retry with backoff.', visibility: 'public', state: 'published' });
  const macro = await ok('POST', '/api/v1/macros', { name: 'Solve: confirmed fixed', scope: 'shared', body: 'Hi {{requester.first_name}}, case #{{ticket.id}} is fixed. Thanks!', public: true, changes: { status: 'solved' } });
  const p = await page(AGENT);
  await p.goto(`${srv.base}/#/ticket/${t.id}`);
  await p.getByRole('heading', { name: `#${t.id} Webhook deliveries time out` }).waitFor();
  // assign to me and open it
  const me = (await ok('GET', `/api/v1/users?limit=500`)).items.find((u) => u.email === AGENT);
  await p.getByLabel('Assignee').selectOption(String(me.id));
  await p.getByLabel('Status').selectOption('open');
  await p.getByRole('button', { name: 'Save changes' }).click();
  await p.locator('.ev-status', { hasText: 'new → open' }).waitFor();
  // a public reply and an internal note, clearly distinct
  await p.getByLabel('Message').fill('We are looking into the webhook timeouts.');
  await p.getByRole('button', { name: 'Send public reply' }).click();
  await p.locator('.ev.comment.public', { hasText: 'looking into the webhook' }).waitFor();
  await p.getByLabel('Message').fill('Probably the new egress proxy; checking with infra.');
  await p.getByRole('button', { name: 'Add internal note' }).click();
  const note = p.locator('.ev.comment.internal', { hasText: 'egress proxy' });
  await note.waitFor();
  assert((await note.locator('.tag-internal').textContent()) === 'Internal note', 'note label');
  assert((await p.locator('.ev.comment.public', { hasText: 'looking into' }).locator('.tag-public').textContent()) === 'Public reply', 'reply label');
  const bgNote = await note.evaluate((el) => getComputedStyle(el).backgroundColor);
  const bgReply = await p.locator('.ev.comment.public').first().evaluate((el) => getComputedStyle(el).backgroundColor);
  assert(bgNote !== bgReply, `note and reply look alike (${bgNote})`);
  // knowledge suggestion: one click links it
  await p.getByRole('button', { name: `Link article ${art.title}` }).click();
  await p.locator('.ev-article_linked').waitFor();
  const links = await ok('GET', `/api/v1/tickets/${t.id}/articles`);
  assert(links.items.length === 1, `links ${JSON.stringify(links)}`);
  await shot(p, 'ticket');
  // the macro: preview, then apply in one click
  await p.getByRole('button', { name: `Preview macro ${macro.name}` }).click();
  await p.locator('.preview', { hasText: `Hi alice, case #${t.id} is fixed.` }).waitFor();
  assert(((await ok('GET', `/api/v1/tickets/${t.id}`)).status) === 'open', 'preview changes nothing');
  await p.getByRole('button', { name: `Apply macro ${macro.name}` }).click();
  await p.locator('.ev-status', { hasText: 'open → solved' }).waitFor();
  const after = await ok('GET', `/api/v1/tickets/${t.id}`);
  assert(after.status === 'solved' && after.assignee && after.assignee.email === AGENT, `ticket ${JSON.stringify(after)}`);
  const cs = (await ok('GET', `/api/v1/tickets/${t.id}/comments`)).items.map((c) => [c.data.public, c.data.body]);
  assert(JSON.stringify(cs) === JSON.stringify([
    [true, 'We are looking into the webhook timeouts.'],
    [false, 'Probably the new egress proxy; checking with infra.'],
    [true, `Hi alice, case #${t.id} is fixed. Thanks!`]]), `comments ${JSON.stringify(cs)}`);
  // every one came from the signed-in agent
  const evs = (await ok('GET', `/api/v1/tickets/${t.id}/events?limit=500`)).items.filter((e) => e.type === 'comment');
  assert(evs.every((e) => e.actor && e.actor.email === AGENT), 'comments are the agent\'s');
  await done(p);
});

test('escalation_form_live_score', async () => {
  const t = await ok('POST', '/api/v1/tickets', { subject: 'Exports fail for large accounts', description: 'CSV export returns 500 above 50k rows.', account: 'Northwind Health', requester: CUSTOMER, priority: 'P2' });
  const p = await page(AGENT);
  await p.goto(`${srv.base}/#/ticket/${t.id}`);
  await p.locator('summary', { hasText: 'Escalate to engineering' }).focus();
  await p.keyboard.press('Enter'); // the folded form opens by keyboard
  const score = p.locator('output.score');
  await p.getByLabel('Summary').waitFor();
  await p.waitForFunction(() => document.querySelector('output.score') && document.querySelector('output.score').dataset.score !== undefined);
  const s0 = Number(await score.getAttribute('data-score'));
  await p.getByLabel('Summary').fill('CSV export 500 above 50k rows');
  await p.getByLabel('Observed').fill('HTTP 500 after 30 s');
  await p.getByLabel('Expected', { exact: true }).fill('A CSV file');
  await p.getByLabel('Steps to reproduce (one a line)').fill('Open reports\nExport 60k rows');
  await p.getByLabel('Hypotheses tested (one a line)').fill('Not the proxy timeout');
  await p.waitForFunction((s) => Number(document.querySelector('output.score').dataset.score) > s, s0);
  const s1 = Number(await score.getAttribute('data-score'));
  // the form's score is the server's score of the same package
  const want = await ok('POST', '/api/v1/escalations/score', { summary: 'CSV export 500 above 50k rows', observed: 'HTTP 500 after 30 s', expected: 'A CSV file', steps: ['Open reports', 'Export 60k rows'], hypotheses: ['Not the proxy timeout'] }, 200);
  assert(s1 === want.score && s1 > s0, `score ${s0} -> ${s1}, the API says ${want.score}`);
  assert(/Missing: .*environment\.region/.test(await p.locator('.missing').textContent()), 'missing fields are named');
  await shot(p, 'escalation');
  await done(p);
});

test('incident_board_and_account_page', async () => {
  const inc = await ok('POST', '/api/v1/incidents', { title: 'EU API latency', severity: 'SEV2', description: 'p99 latency above 5 s in eu-west' });
  const p = await page(AGENT);
  await p.getByRole('link', { name: 'Incidents' }).click();
  await p.getByRole('heading', { name: 'Incident board' }).waitFor();
  const row = p.locator('tr', { hasText: 'EU API latency' });
  await row.waitFor();
  assert(await row.locator('.sev-SEV2').count() === 1, 'severity shown');
  assert(/Next update (due in|breached)/.test(await row.locator('.sla-badge').textContent()), 'next update due shown');
  assert(inc.next_update_due, 'the incident has a next update due');
  await shot(p, 'incidents');
  const acc = (await ok('GET', '/api/v1/accounts?limit=100')).items.find((a) => a.name === 'Acme Logistics');
  await p.goto(`${srv.base}/#/account/${acc.id}`);
  await p.getByRole('heading', { name: 'Acme Logistics' }).waitFor();
  const want = (await ok('GET', `/api/v1/tickets?account=${acc.id}&limit=100`)).items;
  const n = await p.locator('table.tickets tbody tr').count();
  assert(want.length > 0 && n === want.length, `account page shows ${n} cases, the API ${want.length}`);
  await shot(p, 'account');
  await done(p);
});

test('customer_portal_submit_and_reply', async () => {
  const p = await page(CUSTOMER);
  await p.waitForURL('**/portal**');
  await p.getByRole('heading', { name: 'Your cases' }).waitFor();
  const mine = (await ok('GET', '/api/v1/tickets?account=Northwind%20Health&limit=100')).items;
  assert(await p.locator('table.tickets tbody tr').count() === mine.length, 'the account\'s cases are listed');
  await shot(p, 'portal');
  await p.getByRole('link', { name: 'Submit a new case' }).click();
  await p.getByLabel('Subject').fill('Cannot download invoices');
  await p.getByLabel('Description').fill('The invoice page shows a spinner forever.');
  await p.getByLabel('Priority').selectOption('P3');
  const log = Buffer.from('GET /invoices 500 at 12:00:01Z\n');
  await p.getByLabel('Attach files (optional)').setInputFiles({ name: 'console.log', mimeType: 'text/plain', buffer: log });
  await shot(p, 'portal-new');
  await p.getByRole('button', { name: 'Submit case' }).click();
  const h1 = p.getByRole('heading', { name: /Cannot download invoices/ });
  await h1.waitFor();
  const id = Number((await h1.textContent()).match(/#(\d+)/)[1]);
  const t = await ok('GET', `/api/v1/tickets/${id}`);
  assert(t.requester.email === CUSTOMER && t.account.name === 'Northwind Health' && t.status === 'new', `ticket ${JSON.stringify(t)}`);
  // an agent's internal note never reaches the portal; a public reply does
  const agent = (await ok('POST', '/api/v1/tokens', { user: AGENT })).token;
  for (const [body, pub] of [['Secret: billing DB is down', false], ['Which browser do you use?', true]]) {
    const r = await api('POST', `/api/v1/tickets/${id}/comments`, { body, public: pub }, agent);
    assert(r.status === 201, `comment: ${r.status}`);
  }
  await p.reload();
  await p.getByText('Which browser do you use?').waitFor();
  assert(!(await p.content()).includes('billing DB'), 'internal note shown to the customer');
  // the file uploaded with the case is listed and downloads unchanged
  const link = p.getByRole('link', { name: 'console.log' });
  await link.waitFor();
  const got = await p.evaluate(async (href) => (await fetch(href)).text(), await link.getAttribute('href'));
  assert(got === log.toString(), `download: ${got}`);
  await p.getByLabel('Your message').fill('Firefox 128 on Windows.');
  await p.getByLabel('Attach files (optional)').setInputFiles({ name: 'about.txt', mimeType: 'text/plain', buffer: Buffer.from('Firefox 128.0.3') });
  await p.getByRole('button', { name: 'Send reply' }).click();
  await p.locator('.ev.comment', { hasText: 'Firefox 128' }).waitFor();
  await shot(p, 'portal-case');
  const cs = (await ok('GET', `/api/v1/tickets/${id}/comments`)).items;
  const last = cs[cs.length - 1];
  assert(last.data.body === 'Firefox 128 on Windows.' && last.data.public === true && last.actor.email === CUSTOMER, `reply ${JSON.stringify(last)}`);
  const atts = (await ok('GET', `/api/v1/tickets/${id}/attachments`)).items;
  const sha = (b) => createHash('sha256').update(b).digest('hex');
  assert(JSON.stringify(atts.map((a) => [a.filename, a.sha256])) === JSON.stringify([['console.log', sha(log)], ['about.txt', sha(Buffer.from('Firefox 128.0.3'))]]), `attachments ${JSON.stringify(atts)}`);
  assert(atts[1].comment === last.id, 'the reply\'s file belongs to the reply');
  await p.getByRole('link', { name: 'about.txt' }).waitFor();
  await done(p);
});

test('customer_cannot_see_other_account', async () => {
  const other = (await ok('GET', '/api/v1/tickets?account=Acme%20Logistics&limit=1')).items[0];
  assert(other, 'an Acme ticket');
  const p = await page(CUSTOMER);
  const seen = [];
  p.on('response', (r) => { if (r.url().includes(`/api/v1/tickets/${other.id}`)) seen.push(r.status()); });
  for (const url of [`/portal#/case/${other.id}`, `/#/ticket/${other.id}`]) {
    await p.goto(srv.base + url);
    await p.getByRole('heading', { name: 'Case not found' }).waitFor();
    const html = await p.content();
    assert(!html.includes(other.subject) && !html.includes(other.description.slice(0, 30)), `data of another account rendered: ${other.subject} in ${html}`);
    assert(await p.locator('.notfound').count() === 1, 'a not-found message');
  }
  assert(seen.length > 0 && seen.every((s) => s === 404), `API answers ${seen}`);
  await shot(p, 'portal-notfound');
  // the agent console is not for customers either
  await p.goto(srv.base + '/dashboard');
  await p.waitForURL('**/portal**');
  await done(p);
});

test('customer_search_records_deflection', async () => {
  await ok('POST', '/api/v1/articles', { type: 'faq', title: 'Rotating API keys', body: 'Create the new key, deploy it, then revoke the old one.', visibility: 'public', state: 'published' });
  await ok('POST', '/api/v1/articles', { type: 'runbook', title: 'Rotating API keys internally', body: 'Internal runbook.', visibility: 'internal', state: 'published' });
  const before = (await ok('GET', '/api/v1/reports/knowledge')).deflection.search.total;
  const p = await page(CUSTOMER);
  await p.getByRole('link', { name: 'Search articles' }).click();
  await p.getByLabel('Search the knowledge base').fill('rotating keys');
  await p.getByLabel('Search the knowledge base').press('Enter');
  await p.locator('.results h2', { hasText: 'Rotating API keys' }).first().waitFor();
  const titles = await p.locator('.results h2').allTextContents();
  assert(JSON.stringify(titles) === JSON.stringify(['Rotating API keys']), `results ${titles}`);
  await shot(p, 'portal-search');
  const after = (await ok('GET', '/api/v1/reports/knowledge')).deflection.search.total;
  assert(after === before + 1, `deflection searches ${before} -> ${after}`);
  await done(p);
});

test('dashboard_charts_with_data', async () => {
  const p = await page(AGENT);
  await p.getByRole('link', { name: 'Dashboard' }).click();
  await p.getByRole('heading', { name: 'Support dashboard' }).waitFor();
  await p.locator('#chart-csat svg').waitFor();
  for (const id of ['chart-trend', 'chart-sla', 'chart-backlog', 'chart-volume', 'chart-csat']) {
    const box = await p.locator(`#${id} svg`).boundingBox();
    assert(box && box.width > 100 && box.height > 50, `${id} has no size`);
  }
  // lines with points, bars with heights
  assert(await p.locator('#chart-trend path.line').count() === 2, 'two trend lines');
  assert(await p.locator('#chart-trend circle.dot').count() > 2, 'trend points');
  const tall = async (id) => p.locator(`#${id} rect.bar`).evaluateAll((rs) => rs.filter((r) => r.getBoundingClientRect().height > 0).length);
  assert(await tall('chart-sla') === 3, 'three SLA targets');
  assert(await tall('chart-backlog') > 0, 'backlog bars');
  assert(await tall('chart-volume') >= 3, 'volume by category bars');
  assert(await p.locator('#chart-csat circle.dot').count() > 0, 'CSAT points');
  // the backlog bars are the server's figures
  const bl = (await ok('GET', '/api/v1/reports/backlog')).backlog_aging;
  const titles = await p.locator('#chart-backlog rect.bar title').allTextContents();
  assert(titles.join('|') === ['<1d', '1-3d', '3-7d', '7-14d', '>=14d'].map((k) => `${k}: ${bl[k]}`).join('|'), `backlog ${titles}`);
  await shot(p, 'dashboard');
  await done(p);
});

test('dashboard_custom_range', async () => {
  const p = await page(AGENT);
  await p.goto(srv.base + '/dashboard');
  await p.locator('#chart-csat svg').waitFor();
  // eleven whole local days ending ten days ago, as the page computes them
  const r = await p.evaluate(() => {
    const ymd = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    const now = new Date();
    const a = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 20);
    const b = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 10);
    const end = new Date(b.getFullYear(), b.getMonth(), b.getDate() + 1);
    return { from: ymd(a), to: ymd(b), isoFrom: a.toISOString(), isoTo: end.toISOString() };
  });
  await p.getByLabel('From').fill(r.from);
  await p.getByLabel('To').fill(r.to);
  assert(await p.getByLabel('Period').inputValue() === 'custom', 'editing a date selects custom dates');
  await p.getByRole('button', { name: 'Show' }).click();
  await p.getByText(`${r.from} to ${r.to}, by day`).waitFor();
  await p.locator('#chart-csat svg').waitFor();
  assert(p.url().endsWith(`#from=${r.from}&to=${r.to}`), `the range is in the URL: ${p.url()}`);
  // the tiles are the server's figures for exactly that range
  const k = (await ok('GET', `/api/v1/reports/kpis?from=${encodeURIComponent(r.isoFrom)}&to=${encodeURIComponent(r.isoTo)}`)).kpis;
  const created = await p.locator('.tile', { hasText: 'Created' }).locator('strong').textContent();
  assert(created === String(k.volume.created), `created ${created} vs ${k.volume.created}`);
  assert(k.volume.created > 0, 'the demo data has cases in that range');
  await shot(p, 'dashboard-custom');
  // an end before the start: a message, no charts
  await p.getByLabel('From').fill(r.to);
  await p.getByLabel('To').fill(r.from);
  await p.getByRole('button', { name: 'Show' }).click();
  await p.getByRole('alert').filter({ hasText: 'The end date is before the start date.' }).waitFor();
  assert(await p.locator('#chart-csat svg').count() === 0, 'no charts for an invalid range');
  // back to a preset
  await p.getByLabel('Period').selectOption('90');
  await p.getByRole('button', { name: 'Show' }).click();
  await p.getByText(', by week').waitFor();
  await done(p);
});

// ---- runner ----
async function main() {
  mkdirSync(ART, { recursive: true });
  assert(existsSync(CHROMIUM), `${CHROMIUM} is missing (scripts/deps.sh installs chromium)`);
  srv = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  let passed = 0, failed = 0;
  try {
    for (const t of tests) {
      if (ONLY && !`web/${t.name}`.includes(ONLY)) continue;
      const t0 = Date.now();
      try {
        await t.fn();
        passed++;
        console.log(`ok - ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      } catch (e) {
        failed++;
        console.log(`FAIL - ${t.name}`);
        console.log(String(e && e.stack || e).split('\n').slice(0, 6).join('\n'));
      }
    }
  } finally {
    await browser.close();
    const code = await stopServer(srv);
    if (code !== 0) {
      failed++;
      console.log(`FAIL - server_exit (exit ${code})`);
      console.log(readFileSync(join(srv.dir, 'server.log'), 'utf8').split('\n').filter((l) => !l.startsWith('{')).slice(-60).join('\n'));
    }
    else rmSync(srv.dir, { recursive: true, force: true });
  }
  console.log(`web: ${passed} ok, ${failed} failing`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.log(`FAIL - runner\n${e.stack || e}`); process.exit(1); });

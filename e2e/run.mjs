// Browser end-to-end test for Daftar.
//
// Starts `daftar demo` in a throw-away directory, drives Debian's Chromium
// through playwright-core and checks the main sign-in paths in Persian and
// English. Run with:  DAFTAR_BIN=/path/to/daftar node --test run.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(HERE, 'artifacts');

const CITIZEN = { nationalId: '0076229645', mobile: '09121234567', name: 'پرویز کامرانی' };
// A second demo citizen, so the wrong-code test does not share a challenge
// (or any per-number limits) with the successful sign-in.
const OTHER_CITIZEN = { nationalId: '1583250689', mobile: '09351112233' };
const STAFF = { username: 'admin', password: 'nowruz-saffron-1405' };

const JALALI_DATE =
  /[۰-۹]+ (فروردین|اردیبهشت|خرداد|تیر|مرداد|شهریور|مهر|آبان|آذر|دی|بهمن|اسفند) [۰-۹]{4}/;
const PERSIAN_LETTERS = /[\u0600-\u06FF]/;

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// ---------------------------------------------------------------------------
// Server and browser lifecycle
// ---------------------------------------------------------------------------

function daftarBinary() {
  const fromEnv = process.env.DAFTAR_BIN;
  const bin = fromEnv ? resolve(fromEnv) : resolve(HERE, '..', 'target', 'debug', 'daftar');
  if (!existsSync(bin)) {
    throw new Error(
      fromEnv
        ? `DAFTAR_BIN points to ${bin}, which does not exist.`
        : `No daftar binary at ${bin}. Build it with \`cargo build -p daftar\` ` +
            'or set DAFTAR_BIN to the path of a daftar binary.',
    );
  }
  return bin;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

let workDir;
let server;
let serverLog = '';
let serverExited = null;
let browser;
let baseUrl;

// Every console error, page error and CSP violation seen on any page.
const problems = [];

async function waitForHealthz(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (serverExited) {
      throw new Error(`daftar exited early (${serverExited}). Output:\n${serverLog}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`daftar did not answer ${url} within ${timeoutMs} ms. Output:\n${serverLog}`);
}

async function stopServer() {
  if (!server || serverExited) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!stopped) {
    server.kill('SIGKILL');
    await exited;
  }
}

// Last resort if the process dies without running the `after` hook.
process.on('exit', () => {
  if (server && !serverExited) server.kill('SIGKILL');
});

before(async () => {
  const bin = daftarBinary();
  mkdirSync(ARTIFACTS, { recursive: true });
  workDir = mkdtempSync(join(tmpdir(), 'daftar-e2e-'));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;

  server = spawn(bin, ['demo', '--port', String(port)], {
    cwd: workDir,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  server.on('exit', (code, signal) => (serverExited = signal ?? `code ${code}`));
  server.on('error', (err) => (serverExited = `spawn error: ${err.message}`));

  await waitForHealthz(`${baseUrl}/healthz`, 30_000);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    try {
      await stopServer();
    } finally {
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    }
  }
});

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/**
 * Opens a fresh browser context (its own cookies) and page, recording console
 * errors, uncaught exceptions and CSP violations into `problems`.
 * `expected` lists console messages that a test deliberately provokes.
 */
async function openPage({ expected = [] } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Chromium logs CSP violations to the console already; the event listener
  // makes sure none are missed and names the directive.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(
        `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}` +
          ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`,
      );
    });
  });
  const page = await context.newPage();
  watch(page, expected);
  return { context, page };
}

/** Records console errors, uncaught exceptions and CSP violations of `page`. */
function watch(page, expected = []) {
  page.setDefaultTimeout(10_000);
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (expected.some((re) => re.test(text))) return;
    const loc = msg.location();
    problems.push(`console error on ${page.url()}: ${text}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
}

async function htmlLangDir(page) {
  return page.evaluate(() => ({
    lang: document.documentElement.getAttribute('lang'),
    dir: document.documentElement.getAttribute('dir'),
  }));
}

/** Text of every outbox row, newest first as the page lists them. */
async function outboxRows(page) {
  await page.goto(`${baseUrl}/dev/outbox`);
  return page.locator('table tbody tr').allInnerTexts();
}

/**
 * Waits for a sign-in code for `mobile` that was not in `seenRows` and
 * returns it. The development SMS provider writes it to /dev/outbox.
 */
async function waitForCode(page, mobile, seenRows) {
  const recipient = '+98' + mobile.slice(1);
  const seen = new Map();
  for (const row of seenRows) seen.set(row, (seen.get(row) ?? 0) + 1);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const remaining = new Map(seen);
    for (const row of await outboxRows(page)) {
      const left = remaining.get(row) ?? 0;
      if (left > 0) {
        remaining.set(row, left - 1);
        continue;
      }
      const code = row.includes(recipient) && row.match(/Daftar sign-in code: (\d{6})/);
      if (code) return code[1];
    }
    await sleep(200);
  }
  throw new Error(`no sign-in code for ${recipient} appeared on /dev/outbox`);
}

/** Fills the citizen form and returns once the code page is shown. */
async function requestCitizenCode(page, { nationalId, mobile }) {
  await page.goto(`${baseUrl}/sign-in`);
  const form = page.locator('form[action="/sign-in/citizen"]');
  await form.locator('#national_id').fill(nationalId);
  await form.locator('#mobile').fill(mobile);
  await Promise.all([
    page.waitForURL(/\/sign-in\/code\/[^/?]+/),
    form.locator('button[type="submit"]').click(),
  ]);
  await page.locator('#code').waitFor();
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

test('citizen signs in with the development code and sees the Persian home page', async () => {
  const { context, page } = await openPage();
  try {
    const outbox = await context.newPage();
    watch(outbox);
    const seenRows = await outboxRows(outbox);

    await requestCitizenCode(page, CITIZEN);
    const code = await waitForCode(outbox, CITIZEN.mobile, seenRows);

    await page.locator('#code').fill(code);
    await Promise.all([
      page.waitForURL(`${baseUrl}/`),
      page.locator('form[action^="/sign-in/code/"] button[type="submit"]').click(),
    ]);

    assert.deepEqual(await htmlLangDir(page), { lang: 'fa', dir: 'rtl' });
    const header = page.locator('header');
    assert.ok(
      (await header.innerText()).includes(CITIZEN.name),
      `header should show the citizen's name «${CITIZEN.name}»`,
    );
    const today = (await page.locator('.today time').innerText()).trim();
    assert.match(today, JALALI_DATE, `today bar should show a Jalali date in Persian digits, got «${today}»`);
    assert.doesNotMatch(today, /[0-9]/, `today bar should not contain ASCII digits, got «${today}»`);

    await page.screenshot({ path: join(ARTIFACTS, 'citizen-home.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('a wrong code shows a Persian error next to the code field', async () => {
  const { context, page } = await openPage({
    // Chromium reports the 422 document itself as a failed resource load.
    expected: [/status of 422/],
  });
  try {
    await requestCitizenCode(page, OTHER_CITIZEN);
    const codePageUrl = page.url();

    await page.locator('#code').fill('000000');
    const [response] = await Promise.all([
      page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().includes('/sign-in/code/'),
      ),
      page.locator('form[action^="/sign-in/code/"] button[type="submit"]').click(),
    ]);
    await page.waitForLoadState('load');

    assert.equal(response.status(), 422);
    assert.match(page.url(), /\/sign-in\/code\/[^/?]+/, 'should stay on the code page');
    assert.equal(new URL(page.url()).pathname, new URL(codePageUrl).pathname);
    assert.deepEqual(await htmlLangDir(page), { lang: 'fa', dir: 'rtl' });

    const field = page.locator('.field', { has: page.locator('#code') });
    await assert.doesNotReject(field.locator('#code').waitFor(), 'the code input is rendered again');
    assert.equal(await field.locator('#code').getAttribute('aria-invalid'), 'true');
    const error = (await field.locator('.error').innerText()).trim();
    assert.ok(error.length > 0, 'an error message is shown next to the code field');
    assert.match(error, PERSIAN_LETTERS, `error should be in Persian, got «${error}»`);
    assert.doesNotMatch(error, /[A-Za-z]/, `error should not contain Latin text, got «${error}»`);

    await page.screenshot({ path: join(ARTIFACTS, 'citizen-wrong-code.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('staff admin opens the users list and switches to English', async () => {
  const { context, page } = await openPage();
  try {
    await page.goto(`${baseUrl}/sign-in`);
    const form = page.locator('form[action="/sign-in/staff"]');
    await form.locator('#username').fill(STAFF.username);
    await form.locator('#password').fill(STAFF.password);
    await Promise.all([
      page.waitForURL((url) => url.pathname !== '/sign-in' && !url.pathname.startsWith('/sign-in/')),
      form.locator('button[type="submit"]').click(),
    ]);

    const res = await page.goto(`${baseUrl}/admin/users`);
    assert.equal(res.status(), 200);
    assert.deepEqual(await htmlLangDir(page), { lang: 'fa', dir: 'rtl' });
    const table = page.locator('main table');
    await table.first().waitFor();
    assert.ok((await table.first().locator('tbody tr').count()) > 0, 'users table has rows');
    assert.ok((await table.first().innerText()).includes('admin'), 'users table lists admin');

    // The switch redirects back to the same path, so wait for the language
    // to change rather than for the URL.
    await page.locator('header a[href^="/lang/en"]').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.waitForLoadState('load');
    assert.equal(new URL(page.url()).pathname, '/admin/users', 'language switch returns to the same page');
    assert.deepEqual(await htmlLangDir(page), { lang: 'en', dir: 'ltr' });
    await table.first().waitFor();
    assert.ok((await table.first().locator('tbody tr').count()) > 0, 'users table has rows in English');
    assert.ok(
      (await page.locator('header a[href^="/lang/fa"]').count()) > 0,
      'header offers a link back to Persian',
    );

    await page.screenshot({ path: join(ARTIFACTS, 'admin-users-en.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('a click on the plan map opens the parcel\'s instruction sheet, and a design is checked', async () => {
  const { context, page } = await openPage();
  try {
    await page.goto(`${baseUrl}/map`);
    // Parcels are drawn once the zones have loaded and the map has settled.
    const parcel = page.locator('#map path.leaflet-interactive').first();
    await parcel.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'plan-map.png') });
    await Promise.all([page.waitForURL(/\/parcels\//), parcel.click({ force: true })]);
    const heading = await page.locator('main h1').innerText();
    assert.match(heading, /دستور نقشهٔ قطعهٔ/);
    assert.match(await page.locator('main').innerText(), /بیشینهٔ زیربنای کل/);
    const key = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());

    await Promise.all([page.waitForURL(/\/plan-check/), page.locator('a[href^="/plan-check?parcel="]').click()]);
    assert.equal(await page.locator('#parcel_key').inputValue(), key, 'the check form knows the parcel');
    const row = (n) => page.locator('table.levels tbody tr').nth(n);
    await row(0).locator('input[name="gross_area"]').fill('90');
    await row(0).locator('input[name="footprint_area"]').fill('90');
    await row(0).locator('input[name="depth"]').fill('9');
    await row(0).locator('input[name="units"]').fill('85');
    await page.locator('#parking_spaces').fill('1');
    await Promise.all([page.waitForLoadState('load'), page.locator('form[action^="/plan-check#"] button[type="submit"]').click()]);
    await page.locator('#result').waitFor();
    assert.match(await page.locator('#result h2').innerText(), /نتیجهٔ کنترل/);
    await page.screenshot({ path: join(ARTIFACTS, 'plan-check.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

/** Signs a staff member in on `page`. */
async function signInStaff(page, username) {
  await page.goto(`${baseUrl}/sign-in`);
  const form = page.locator('form[action="/sign-in/staff"]');
  await form.locator('#username').fill(username);
  await form.locator('#password').fill(STAFF.password);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/sign-in' && !url.pathname.startsWith('/sign-in/')),
    form.locator('button[type="submit"]').click(),
  ]);
}

/** Takes an action from the case page's form for it, filling `fields` first. */
async function act(page, action, fields = {}) {
  const form = page.locator(`form.action:has(input[name="action"][value="${action}"])`);
  for (const [name, value] of Object.entries(fields)) {
    const input = form.locator(`[name="${name}"]`);
    if ((await input.evaluate((el) => el.tagName)) === 'SELECT') await input.selectOption(value);
    else await input.fill(value);
  }
  await Promise.all([page.waitForLoadState('load'), form.locator('button[type="submit"]').click()]);
  await page.waitForURL(/\/cases\/\d+$/);
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

async function uploadDocument(page, kind, name) {
  const form = page.locator('form[action$="/documents"]');
  await form.locator('select[name="kind"]').selectOption(kind);
  await form.locator('input[name="file"]').setInputFiles({ name, mimeType: 'application/pdf', buffer: PDF });
  await Promise.all([page.waitForLoadState('load'), form.locator('button[type="submit"]').click()]);
  await page.waitForURL(/\/cases\/\d+$/);
}

test('an office takes a building-permit case to its invoice and the citizen pays it through the gateway', async () => {
  const office = await openPage();
  const manager = await openPage();
  const citizen = await openPage();
  try {
    const page = office.page;
    await signInStaff(page, 'expert');
    await page.goto(`${baseUrl}/cases/new?service=building_permit`);
    const fill = async (name, value) => page.locator(`[name="${name}"]`).fill(value);
    await page.locator('[name="form.applicant_type"]').selectOption('person');
    await fill('form.owner_national_id', CITIZEN.nationalId);
    await fill('form.mobile', CITIZEN.mobile);
    await fill('form.renovation_code', '1-000000-001');
    await fill('form.registry_plate', '۱۲۳۴/۵۶');
    await fill('form.district', '۱');
    await fill('form.deed_area', '۵۰۰');
    await fill('form.postal_code', '1316745891');
    await fill('form.address', 'تهران، خیابان ولیعصر، کوچهٔ بهار، پلاک ۷');
    await fill('form.requested_floors', '۲');
    await fill('owners.0.identifier', CITIZEN.nationalId);
    await fill('owners.0.name', CITIZEN.name);
    await fill('owners.0.share', '۶');
    await page.screenshot({ path: join(ARTIFACTS, 'case-new.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/cases\/\d+$/), page.locator('form[action="/cases/new"] button[type="submit"]').click()]);
    const caseUrl = page.url();
    assert.deepEqual(await htmlLangDir(page), { lang: 'fa', dir: 'rtl' });
    assert.match(await page.locator('main h1').innerText(), /پروانه ساختمانی/);

    await uploadDocument(page, 'deed', 'سند مالکیت.pdf');
    await uploadDocument(page, 'owner_id_card', 'کارت ملی.pdf');
    await act(page, 'order_site_visit');

    await signInStaff(manager.page, 'techmanager');
    await manager.page.goto(caseUrl);
    await act(manager.page, 'schedule_site_visit', { inspector: 'expert' });

    await page.goto(caseUrl);
    await act(page, 'report_inspection', { passed: 'yes', report: 'زمین خالی است و بر آن با سند می‌خواند.' });
    await act(page, 'issue_instruction_sheet');
    await uploadDocument(page, 'architectural_drawings', 'نقشه‌ها.pdf');
    const sheet = await (await fetch(`${baseUrl}/api/v1/parcels/1-000000-001/instruction-sheet`)).json();
    const footprint = String(Math.floor(Number(sheet.figures.max_footprint.result)));
    await act(page, 'submit_drawings', { floors: '2', floor_area: footprint, depth: '5', unit_area: '80', parking_spaces: '4' });
    assert.match(await page.locator('main').innerText(), /بررسی کارشناس/);
    await act(page, 'accept_drawings');
    await act(page, 'issue_invoice');
    assert.match(await page.locator('main').innerText(), /در انتظار پرداخت عوارض/);
    await page.screenshot({ path: join(ARTIFACTS, 'case-awaiting-payment.png'), fullPage: true });

    // The citizen signs in, finds the case among theirs and pays the itemised invoice.
    const outbox = await citizen.context.newPage();
    watch(outbox);
    const seenRows = await outboxRows(outbox);
    await requestCitizenCode(citizen.page, CITIZEN);
    const code = await waitForCode(outbox, CITIZEN.mobile, seenRows);
    await citizen.page.locator('#code').fill(code);
    await Promise.all([
      citizen.page.waitForURL(`${baseUrl}/`),
      citizen.page.locator('form[action^="/sign-in/code/"] button[type="submit"]').click(),
    ]);
    await citizen.page.goto(`${baseUrl}/cases`);
    await citizen.page.screenshot({ path: join(ARTIFACTS, 'citizen-cases.png'), fullPage: true });
    await Promise.all([citizen.page.waitForURL(caseUrl), citizen.page.locator('#inbox a').first().click()]);
    await Promise.all([citizen.page.waitForURL(/\/invoices\//), citizen.page.locator('a[href^="/invoices/"]').first().click()]);
    assert.match(await citizen.page.locator('main').innerText(), /عوارض/);
    await Promise.all([citizen.page.waitForURL(/\/sandbox-gateway\/pay\//), citizen.page.locator('form.pay button[type="submit"]').click()]);
    await Promise.all([citizen.page.waitForURL(/\/invoices\//), citizen.page.locator('button[value="pay"]').click()]);
    assert.match(await citizen.page.locator('main').innerText(), /پرداخت‌شده/);
    await citizen.page.goto(caseUrl);
    assert.match(await citizen.page.locator('main').innerText(), /عوارض تسویه شد/, 'the payment moved the case');
    await citizen.page.screenshot({ path: join(ARTIFACTS, 'case-paid.png'), fullPage: true });
  } finally {
    await office.context.close();
    await manager.context.close();
    await citizen.context.close();
  }
});

test('no console errors and no CSP violations on the pages visited', () => {
  assert.deepEqual(problems, [], `problems seen in the browser:\n${problems.join('\n')}`);
});

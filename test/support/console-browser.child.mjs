// Drives the web console in a real Chromium (the one inside @sparticuz/chromium, with playwright-core), one
// command at a time: the test sends a JSON line on stdin ({id, op, ...}) and gets {id, ok, value|error} back on
// stdout. A child process because both packages are ES modules that Jest's VM does not load (as
// consent-browser.child.mjs); interactive so the test can check the database and the API between steps.
//   node console-browser.child.mjs     (then one command per line; {"op":"close"} ends it)
//   node console-browser.child.mjs --demo-screenshots
//     runs `node scripts/demo.mjs --source` (example data of all three providers through the public API), signs in
//     with its admin token and adds two accounts (Acme owning the Syncaroo connection, with a user), writes
//     docs/console-{overview,connections,events,accounts,account,inventory,los}.png, then stops it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import chromium from '@sparticuz/chromium';
import { chromium as playwright } from 'playwright-core';

const browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const consoleMessages = [];
page.on('console', (m) => consoleMessages.push(`${m.type()}: ${m.text()}`));
page.on('pageerror', (e) => consoleMessages.push(`pageerror: ${e.message}`));
// hx-confirm asks with window.confirm: accept.
page.on('dialog', (d) => void d.accept());

const T = 15000;
const ops = {
  async goto({ url }) {
    const r = await page.goto(url, { timeout: T });
    return { status: r?.status() ?? null, url: page.url(), title: await page.title() };
  },
  async fill({ selector, value }) { await page.fill(selector, value, { timeout: T }); },
  async select({ selector, value }) { await page.selectOption(selector, value, { timeout: T }); },
  async check({ selector }) { await page.check(selector, { timeout: T }); },
  /** `nav`: the click loads a new page (form submit, HX-Redirect, HX-Refresh); waits for it. */
  async click({ selector, nav }) {
    if (nav) {
      await Promise.all([page.waitForNavigation({ timeout: T }), page.click(selector, { timeout: T })]);
      await page.waitForLoadState('load');
      return { url: page.url(), title: await page.title() };
    }
    await page.click(selector, { timeout: T });
    return { url: page.url() };
  },
  async waitForText({ selector, text }) {
    await page.locator(selector, { hasText: text }).first().waitFor({ timeout: T });
    return (await page.textContent(selector)) ?? '';
  },
  async text({ selector }) { return (await page.textContent(selector, { timeout: T })) ?? ''; },
  async exists({ selector }) { return (await page.$(selector)) !== null; },
  async url() { return page.url(); },
  /** The whole page, or with `selector` one element of it. */
  async screenshot({ path, selector }) {
    if (selector) await page.locator(selector).first().screenshot({ path, timeout: T });
    else await page.screenshot({ path, fullPage: true });
  },
  async clearCookies() { await context.clearCookies(); },
  async consoleMessages() { return consoleMessages.splice(0); },
};

if (process.argv.includes('--demo-screenshots')) {
  try {
    await demoScreenshots();
  } finally {
    await browser.close();
  }
  process.exit(0);
}

/** Screenshots of the console on the demo's data (README "Demo"). */
async function demoScreenshots() {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const shot = (name) => `${root}docs/console-${name}.png`;
  const demo = spawn(process.execPath, ['scripts/demo.mjs', '--source'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => demo.once('exit', r));
  try {
    const summary = await new Promise((resolve, reject) => {
      demo.once('exit', (code) => reject(new Error(`the demo exited (${code}) before its summary`)));
      createInterface({ input: demo.stdout }).on('line', (line) => {
        if (line.startsWith('DEMO_SUMMARY ')) resolve(JSON.parse(line.slice('DEMO_SUMMARY '.length)));
      });
    });
    const base = summary.serverUrl;
    const api = async (path, method = 'GET', body) => {
      const r = await fetch(`${base}${path}`, {
        method, headers: { authorization: `Bearer ${summary.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return r.status === 204 ? null : r.json();
    };
    // The demo's operators as accounts: Acme owns the Syncaroo connection (and so its listing), with a user.
    const acme = await api('/admin/accounts', 'POST', { name: 'Acme Coworking B.V.', externalId: 'acme' });
    await api('/admin/accounts', 'POST', { name: 'Escape Kraków sp. z o.o.', externalId: 'escape-krakow' });
    await api(`/admin/connections/${summary.connections.syncaroo}`, 'PATCH', { accountId: acme.id });
    await api(`/admin/accounts/${acme.id}/users`, 'POST', { email: 'ops@acme-coworking.example', password: 'demo password 123' });
    await api(`/admin/accounts/${acme.id}/locations/11981`, 'PUT', { name: 'Acme Coworking Utrecht Centraal', timezone: 'Europe/Amsterdam' });
    await ops.goto({ url: `${base}/console/login` });
    await ops.fill({ selector: '#adminToken', value: summary.adminToken });
    await ops.click({ selector: '#sign-in-admin', nav: true });
    await ops.screenshot({ path: shot('overview') });
    await ops.goto({ url: `${base}/console/connections` });
    await ops.screenshot({ path: shot('connections') });
    await ops.goto({ url: `${base}/console/events` });
    await ops.screenshot({ path: shot('events') });
    await ops.goto({ url: `${base}/console/accounts` });
    await ops.screenshot({ path: shot('accounts') });
    await ops.goto({ url: `${base}/console/accounts/${acme.id}` });
    await ops.screenshot({ path: shot('account') });
    // A resource with bookings (Lockme's carry people and price), and a Stratech product's length-of-stay grid.
    const resources = (await api('/resources?limit=100')).items;
    let booked;
    for (const r of [...resources.filter((x) => x.provider === 'lockme'), ...resources.filter((x) => x.provider === 'syncaroo')]) {
      if ((await api(`/resources/${encodeURIComponent(r.id)}/bookings?limit=1`)).items.length > 0) { booked = r; break; }
    }
    if (!booked) throw new Error('no resource with bookings in the demo');
    await ops.goto({ url: `${base}/console/inventory/resources/${encodeURIComponent(booked.id)}` });
    await ops.screenshot({ path: shot('inventory') });
    const lodge = resources.find((x) => x.provider === 'stratech');
    await ops.goto({ url: `${base}/console/inventory/resources/${encodeURIComponent(lodge.id)}?days=21` });
    await ops.screenshot({ path: shot('los') });
    const problems = consoleMessages.filter((m) => /Content Security Policy|pageerror|error:/i.test(m));
    if (problems.length) throw new Error(`browser console: ${problems.join('; ')}`);
    process.stdout.write(`screenshots written from the demo at ${base}\n`);
  } finally {
    if (demo.exitCode === null) demo.kill('SIGINT');
    await exited;
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  if (cmd.op === 'close') {
    process.stdout.write(`${JSON.stringify({ id: cmd.id, ok: true })}\n`);
    break;
  }
  try {
    const fn = ops[cmd.op];
    if (!fn) throw new Error(`unknown op ${cmd.op}`);
    const value = await fn(cmd);
    process.stdout.write(`${JSON.stringify({ id: cmd.id, ok: true, value: value ?? null })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ id: cmd.id, ok: false, error: e.message, url: page.url() })}\n`);
  }
}
await browser.close();
process.exit(0);

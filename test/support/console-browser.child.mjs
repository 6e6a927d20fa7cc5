// Drives the web console in a real Chromium (the one inside @sparticuz/chromium, with playwright-core), one
// command at a time: the test sends a JSON line on stdin ({id, op, ...}) and gets {id, ok, value|error} back on
// stdout. A child process because both packages are ES modules that Jest's VM does not load (as
// consent-browser.child.mjs); interactive so the test can check the database and the API between steps.
//   node console-browser.child.mjs     (then one command per line; {"op":"close"} ends it)
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
  async screenshot({ path }) { await page.screenshot({ path, fullPage: true }); },
  async clearCookies() { await context.clearCookies(); },
  async consoleMessages() { return consoleMessages.splice(0); },
};

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

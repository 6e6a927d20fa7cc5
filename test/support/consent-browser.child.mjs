// Drives the Syncaroo consent page in a real Chromium (the one inside @sparticuz/chromium, with playwright-core):
// open the authorize URL, sign in, approve, and report where the browser ended up. A child process because both
// packages are ES modules that Jest's VM does not load. Prints one JSON line.
//   node consent-browser.child.mjs '{"url":…,"email":…,"password":…,"redirectOrigin":…,"screenshot":…}'
import chromium from '@sparticuz/chromium';
import { chromium as playwright } from 'playwright-core';

const input = JSON.parse(process.argv[2]);
const browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
const result = { console: [] };
try {
  const page = await browser.newPage({ viewport: { width: 720, height: 760 } });
  page.on('console', (m) => result.console.push(m.text()));
  const opened = await page.goto(input.url);
  result.pageStatus = opened.status();
  result.title = await page.title();
  result.heading = await page.textContent('h1');
  if (input.screenshot) await page.screenshot({ path: input.screenshot, fullPage: true });
  if (input.password !== undefined) {
    await page.fill('#email', input.email);
    await page.fill('#password', input.password);
  }
  await Promise.all([
    page.waitForURL((u) => u.toString().startsWith(input.redirectOrigin), { timeout: 15000 }),
    page.click(`button[value=${input.decision ?? 'approve'}]`),
  ]);
  result.finalUrl = page.url();
} catch (e) {
  result.error = e.message;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));

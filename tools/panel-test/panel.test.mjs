// The panel in a real browser: sign in to `tern serve --demo`, create a Single MMS campaign
// through every step, see a too-large picture refused and a good one accepted, check counters
// and preview, send a test, launch, and watch the campaign until its messages are delivered on
// the sandbox. A screenshot of each step goes to $TERN_SCREENSHOTS (default
// target/panel-test/). Usage: node panel.test.mjs [path/to/tern]
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { noisePng, smallPng } from './images.mjs';

const root = resolve(import.meta.dirname, '../..');
const tern = resolve(process.argv[2] ?? join(root, 'target/debug/tern'));
const shots = resolve(process.env.TERN_SCREENSHOTS ?? join(root, 'target/panel-test'));
mkdirSync(shots, { recursive: true });

const freePort = () => new Promise((done) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => done(port));
  });
});

// With TERN_TEST_AI_MODEL (a GGUF file), the AI writer gets a real model: tools/ai-server.
async function startModel() {
  const model = process.env.TERN_TEST_AI_MODEL;
  if (!model) return { env: {}, stop: () => {} };
  const child = spawn('node', [join(root, 'tools/ai-server/server.mjs'), '--model', model, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (data) => { out += data; });
  const started = Date.now();
  while (!/listening (\S+)/.test(out)) {
    assert.ok(child.exitCode === null, 'the model server exited early');
    assert.ok(Date.now() - started < 60000, 'the model server did not start within a minute');
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /listening (\S+)/.exec(out)[1];
  return { env: { TERN_AI_URL: url, TERN_AI_MODEL: 'smollm2-135m-instruct', TERN_AI_TIMEOUT_SECS: '90' }, stop: () => child.kill('SIGTERM') };
}

async function startTern() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tern-panel-'));
  const model = await startModel();
  const child = spawn(tern, ['serve', '--demo'], {
    cwd: dir,
    env: { ...process.env, TERN_BIND: `127.0.0.1:${port}`, RUST_LOG: 'warn', ...model.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (data) => { out += data; });
  const started = Date.now();
  while (!/password: (\S+)/.test(out)) {
    assert.ok(child.exitCode === null, `tern exited early:\n${out}`);
    assert.ok(Date.now() - started < 60000, `no demo login printed within a minute:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const email = /e-mail: (\S+)/.exec(out)[1];
  const password = /password: (\S+)/.exec(out)[1];
  const base = `http://127.0.0.1:${port}`;
  while (!(await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 100));
  console.log(`demo ready in ${Date.now() - started} ms at ${base}`);
  return { base, email, password, stop: () => { child.kill('SIGTERM'); model.stop(); rmSync(dir, { recursive: true, force: true }); } };
}

let step = 0;
async function shot(page, name) {
  step += 1;
  const file = join(shots, `${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  ✓ ${name} (${file})`);
}

const profile = mkdtempSync(join(tmpdir(), 'tern-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1360, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// The server starts once the browser runs, so that a browser that cannot start leaves no server behind.
const server = await startTern();
const page = context.pages()[0] ?? await context.newPage();
const alerts = [];
// Dialogs a walk did not expect are dismissed and recorded; the unsaved-changes guard's are not alerts.
page.on('dialog', (dialog) => {
  if (page.listenerCount('dialog') > 1) return; // a walk waits for this one
  if (dialog.type() !== 'beforeunload') alerts.push(dialog.message());
  dialog.dismiss().catch(() => {});
});
const pageErrors = [];
page.on('pageerror', (error) => pageErrors.push(error.message));
// Refused requests the test makes on purpose (401, 403, 422) log 'Failed to load resource'.
page.on('console', (message) => {
  if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
});
page.setDefaultTimeout(15000);

try {
  // Sign in: a wrong password is refused, the right one opens the SMS listing.
  const login = await page.goto(`${server.base}/campaigns`);
  assert.match(page.url(), /\/login\?next=%2Fcampaigns$/);
  const policy = login.headers()['content-security-policy'];
  assert.match(policy, /script-src 'self'/);
  assert.doesNotMatch(policy, /unsafe-inline/);
  await page.getByLabel('E-mail').fill(server.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('The e-mail or the password is not right.').waitFor();
  await page.getByLabel('Password').fill(server.password);
  await shot(page, 'login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/campaigns$/);
  const cookie = (await context.cookies()).find((c) => c.name === 'tern_session');
  assert.ok(cookie.httpOnly && cookie.sameSite === 'Lax', JSON.stringify(cookie));

  // The listing: the demo's sent campaign with figures, and its draft.
  await page.getByRole('link', { name: 'Spring lookbook' }).waitFor();
  await page.getByRole('link', { name: 'Black Friday preview' }).waitFor();
  await shot(page, 'listing');
  await page.getByLabel('Search').fill('spring');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/search=spring/);
  assert.equal(await page.getByRole('link', { name: 'Black Friday preview' }).count(), 0);

  // Create → name and type → the type's first step.
  await page.getByText('Create campaign').click();
  await page.getByLabel('Name').fill('Browser test MMS');
  await page.getByRole('radio', { name: /Single/ }).check();
  await page.getByRole('radio', { name: /MMS/ }).check();
  await shot(page, 'create');
  await page.getByRole('button', { name: 'Create and continue' }).click();
  await page.waitForURL(/\/steps\/segments$/);
  const campaignUrl = page.url().replace(/\/steps\/segments$/, '');

  // Segments: include Gold members, the reachable count appears.
  await page.getByRole('radio', { name: 'Include Gold members' }).check();
  await page.locator('#reachable').waitFor();
  const reachable = Number(await page.locator('#reachable').textContent());
  assert.ok(reachable > 0, `reachable ${reachable}`);
  await shot(page, 'segments');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.waitForURL(/\/steps\/design$/);

  // Design: personalization, live counters, a UCS-2 character and its one-click replacement.
  const body = page.getByLabel('Text', { exact: true });
  await body.fill('Hi ');
  await page.getByLabel('Personalization').selectOption({ label: 'first_name' });
  await page.getByRole('button', { name: 'Insert', exact: true }).click();
  await body.press('End');
  await body.pressSequentially(', it’s here: new colours at https://shop.example/new');
  // UCS-2 costs segments only as SMS: the box shows on SMS.
  await page.getByRole('radio', { name: 'SMS', exact: true }).check();
  await page.locator('#ucs2').waitFor({ state: 'visible' });
  await page.getByText('UCS-2', { exact: true }).waitFor();
  await shot(page, 'design-ucs2');
  await page.getByRole('button', { name: 'Replace with “\'”' }).click();
  await page.locator('#ucs2').waitFor({ state: 'hidden' });
  await page.getByText('GSM-7', { exact: true }).waitFor();
  await page.getByRole('radio', { name: 'MMS', exact: true }).check();
  assert.match(await body.inputValue(), /it's here/);
  assert.match(await page.locator('[data-counter="characters"]').textContent(), /^\d+ characters$/);

  // A picture over the limit is refused with the exact reason and the offer to fit it.
  await page.locator('#file').setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: noisePng() });
  const refusal = page.locator('#media-error');
  await refusal.getByText('huge.png was refused').waitFor();
  assert.match(await refusal.textContent(), /MMS allows at most 614400 bytes/);
  await refusal.getByRole('button', { name: 'Fit it to the limit' }).waitFor();
  await shot(page, 'design-refused');
  // Fitting it makes a copy within the limit and attaches it; it can be removed again.
  await refusal.getByRole('button', { name: 'Fit it to the limit' }).click();
  const fitted = page.locator('#attached li', { hasText: /huge\.(jpg|png) · \d+ KB/ });
  await fitted.waitFor();
  const fittedKb = Number(/ · (\d+) KB/.exec(await fitted.textContent())[1]);
  assert.ok(fittedKb <= 600, `fitted to ${fittedKb} KB`);
  await fitted.getByRole('button', { name: /Remove/ }).click();
  await fitted.waitFor({ state: 'detached' });
  // A good one is accepted and attached.
  await page.locator('#file').setInputFiles({ name: 'good.png', mimeType: 'image/png', buffer: smallPng() });
  await page.locator('#attached').getByText('good.png').waitFor();
  await page.locator('#attached img').first().waitFor();
  // The preview for a chosen contact shows their name in the text.
  const option = page.locator('#preview-contact option').nth(1);
  await option.waitFor({ state: 'attached' });
  const firstName = (await option.textContent()).split(' ')[0];
  await page.locator('#preview-contact').selectOption({ index: 1 });
  await page.locator('#preview-text').getByText(`Hi ${firstName}, it's here`).waitFor();
  assert.match(await page.locator('#preview-text').textContent(), /Reply STOP to opt out$/);

  // Send test: its status updates by itself until delivered on the sandbox.
  await page.getByRole('button', { name: 'Send test' }).click();
  await page.locator('#tests').getByText('Delivered').first().waitFor({ timeout: 30000 });
  await shot(page, 'design-test-delivered');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.waitForURL(/\/steps\/goals$/);

  // Goals.
  await page.getByLabel('Conversion event').fill('Order Completed');
  await shot(page, 'goals');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.waitForURL(/\/steps\/launch$/);

  // Launch: every other step passes, the estimate matches the reachable count; launching asks
  // first, with the recipients and the cost, and "Not yet" sends nothing.
  await page.getByText('Every other step is complete').waitFor();
  assert.equal(Number(await page.locator('#estimate-recipients').textContent()), reachable);
  await shot(page, 'launch');
  await page.getByRole('button', { name: 'Launch campaign' }).click();
  const confirmation = page.locator('#confirm-launch');
  await confirmation.waitFor();
  assert.match(await confirmation.textContent(), new RegExp(`to ${reachable} recipients`));
  assert.match(await confirmation.textContent(), /for about [\d.]+ USD/);
  await shot(page, 'launch-confirm');
  // "Not yet" keeps the saved schedule and shows the check again: now every step is complete.
  const shownAgain = page.waitForEvent('load');
  await confirmation.getByRole('button', { name: 'Not yet' }).click();
  await shownAgain;
  assert.match(page.url(), /\/steps\/launch$/, 'not launched');
  await page.getByText('Every step is complete.').waitFor();
  await page.getByRole('button', { name: 'Launch campaign' }).click();
  await confirmation.getByRole('button', { name: 'Launch now' }).click();
  await page.waitForURL(campaignUrl);

  // The campaign page updates by itself until every message is delivered (or undelivered).
  const figure = async (name) => Number(await page.locator(`[data-figure="${name}"]`).textContent());
  const deadline = Date.now() + 60000;
  while (true) {
    const [total, delivered, undelivered, failed, skipped, cancelled] = await Promise.all(
      ['total', 'delivered', 'undelivered', 'failed', 'skipped', 'cancelled'].map(figure));
    if (total > 0 && delivered > 0 && delivered + undelivered + failed + skipped + cancelled === total) break;
    assert.ok(Date.now() < deadline, `not delivered in time: total ${total}, delivered ${delivered}`);
    await page.waitForTimeout(500);
  }
  await page.locator('#status').getByText('Completed').waitFor();
  assert.equal(await figure('total') - await figure('skipped'), reachable, 'recipients as estimated');
  await page.locator('#messages').getByText('Delivered').first().waitFor();
  assert.ok(await page.locator('#bar').evaluate((bar) => bar.value === bar.max), 'the progress bar is full');
  await shot(page, 'campaign-delivered');

  // Escaping: a contact named like a script shows as text, and nothing runs.
  const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
  const created = await page.evaluate(async (token) => {
    const response = await fetch('/api/v1/contacts', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token },
      body: JSON.stringify({ phone: '+14155550199', consent: 'subscribed', attributes: { first_name: '<script>alert(1)</script>' } }) });
    return response.status;
  }, csrf);
  assert.equal(created, 201);
  // The same call without the token is refused.
  const forged = await page.evaluate(async () => (await fetch('/api/v1/contacts', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone: '+14155550198' }) })).status);
  assert.equal(forged, 403);
  await page.goto(`${server.base}/contacts?search=%2B14155550199`);
  await page.getByRole('cell', { name: '<script>alert(1)</script>' }).waitFor();
  await shot(page, 'contacts-escaped');

  // Contacts: a CSV import shows its progress to the end.
  const csv = 'phone,consent,first_name\n+14155550181,subscribed,Imported\n+14155550182,subscribed,Also\nnot-a-phone,subscribed,Broken\n';
  await page.getByLabel('File').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Import' }).click();
  await page.locator('#import-progress').getByText(/completed, 3 rows \(2 new, 0 updated, 0 unchanged, 1 rejected\)/).waitFor();
  await shot(page, 'contacts-import');

  // Segments: the builder counts as it changes, and saves.
  await page.goto(`${server.base}/segments`);
  await page.getByRole('heading', { name: 'Segments', level: 1 }).waitFor();
  await page.getByLabel('Name').fill('Canadian subscribers');
  await page.getByLabel(/Countries/).fill('CA');
  await page.locator('#segment-count').getByText('contacts match').waitFor();
  const canadians = Number(await page.locator('#segment-count strong').textContent());
  assert.ok(canadians > 0, `${canadians} Canadians`);
  await shot(page, 'segments');
  await page.getByRole('button', { name: 'Save segment' }).click();
  await page.locator('#segment-list').getByText('Canadian subscribers').waitFor();
  await page.locator('#segment-list li', { hasText: 'Canadian subscribers' }).getByText(`${canadians} contacts`).waitFor();

  // Media library: an upload appears in the grid.
  await page.goto(`${server.base}/media`);
  await page.locator('#library-file').setInputFiles({ name: 'library-pick.png', mimeType: 'image/png', buffer: smallPng(40) });
  await page.getByRole('img', { name: 'library-pick.png' }).waitFor();
  await shot(page, 'media-library');

  // Settings: a change is saved and shown again.
  await page.goto(`${server.base}/settings`);
  await page.getByLabel('Opt-out footer').fill('Text STOP to opt out');
  const reloaded = page.waitForEvent('load');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Settings saved.').waitFor();
  await reloaded;
  assert.equal(await page.getByLabel('Opt-out footer').inputValue(), 'Text STOP to opt out');
  await shot(page, 'settings');

  // At a phone's width the pages reflow without scrolling sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [path, name] of [[campaignUrl.replace(server.base, ''), 'campaign-phone'], ['/campaigns', 'listing-phone']]) {
    await page.goto(`${server.base}${path}`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${path} is ${width}px wide at 390px`);
    await shot(page, name);
  }

  // The walks of the other pages and states, each in its own file under walks/.
  const api = async (method, path, body) => page.evaluate(async ([method, path, body]) => {
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const response = await fetch(`/api/v1${path}`, { method, headers: { 'content-type': 'application/json', 'x-csrf-token': token },
      body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw Object.assign(new Error(`${method} ${path}: ${response.status} ${text}`), { status: response.status });
    return text ? JSON.parse(text) : null;
  }, [method, path, body]);
  await page.setViewportSize({ width: 1360, height: 900 });
  const walks = readdirSync(join(import.meta.dirname, 'walks')).filter((f) => f.endsWith('.mjs')).sort();
  for (const file of walks) {
    console.log(`walk ${file}`);
    await page.goto(`${server.base}/campaigns`);
    const { default: walk } = await import(join(import.meta.dirname, 'walks', file));
    await walk({ page, base: server.base, shot, assert, api, login: { email: server.email, password: server.password } });
  }

  // Log out: the session ends.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/\/login$/);
  await page.goto(`${server.base}/campaigns`);
  assert.match(page.url(), /\/login/);
  assert.deepEqual(alerts, [], 'no dialog opened by injected script');
  assert.deepEqual(pageErrors, [], 'no script errors');
  console.log(`panel test passed; screenshots in ${shots}`);
} catch (error) {
  await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
  console.error(`panel test failed at step ${step + 1}; page ${page.url()}; screenshot ${join(shots, 'failure.png')}`);
  throw error;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  server.stop();
}

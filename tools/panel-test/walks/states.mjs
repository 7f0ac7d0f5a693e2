// Campaigns in every state: Cart Reminder and Welcome walked to their Launch step, a step bar
// that follows each save, the warning before unsaved edits are lost, a schedule in the past,
// a scheduled campaign paused, resumed and cancelled, duplicate and archive.

/** Creates a campaign through the listing's Create form; answers its address. */
async function create(page, base, name, type, channel = 'SMS') {
  await page.goto(`${base}/campaigns`);
  await page.getByText('Create campaign').click();
  // The field holds no more than the server accepts.
  const max = await page.getByLabel('Name').getAttribute('maxlength');
  if (max !== '120') throw new Error(`the name field allows ${max} characters; the server 120`);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('radio', { name: new RegExp(type) }).check();
  await page.getByRole('radio', { name: new RegExp(`^${channel}`) }).check();
  await page.getByRole('button', { name: 'Create and continue' }).click();
  await page.waitForURL(/\/steps\/\w+$/);
  return page.url().replace(/\/steps\/\w+$/, '');
}

const barState = (page, step) => page.locator(`.stepbar li[data-step="${step}"] .state`).textContent();

export default async function walk({ page, base, shot, assert, api }) {
  // Cart Reminder: Rules shows its default delay, is not complete before a save; its Launch says
  // what launching does, and launching makes it active with its triggers on its page.
  await create(page, base, 'Walk cart reminder', 'Cart Reminder');
  assert.match(page.url(), /\/steps\/rules$/);
  assert.equal(await page.locator('input[name="delay_minutes"]').inputValue(), '60');
  assert.equal(await barState(page, 'rules'), 'Not started');
  assert.equal(await barState(page, 'launch'), 'Not started', 'no "Launch ✓" on a new campaign');
  await shot(page, 'cart-rules');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.waitForURL(/\/steps\/design$/);
  assert.equal(await barState(page, 'rules'), 'Complete');
  await page.getByLabel('Text', { exact: true }).fill('You left something in your cart: {{ cart.item_count }} items');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.waitForURL(/\/steps\/goals$/);
  await page.getByLabel('Conversion event').fill('Order Completed');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.waitForURL(/\/steps\/launch$/);
  await page.getByText('Launching makes the campaign active').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Launch campaign' }).isEnabled());
  // A triggered campaign has no send time, only an optional end; saving it completes Launch.
  assert.equal(await page.getByRole('radio', { name: 'Now' }).count(), 0);
  const end = new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 16);
  await page.getByLabel(/Active until/).fill(end);
  const saved = page.waitForEvent('load');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await saved;
  assert.equal(await barState(page, 'launch'), 'Complete');
  assert.equal(await page.getByLabel(/Active until/).inputValue(), end);
  await shot(page, 'cart-launch');
  await page.getByRole('button', { name: 'Launch campaign' }).click();
  await page.locator('#confirm-text').getByText('becomes active now and sends as carts are left').waitFor();
  await page.locator('#confirm-launch').getByRole('button', { name: 'Launch now' }).click();
  await page.locator('#status').getByText('Active').waitFor();
  await page.locator('#triggers').getByText('no cart left since the launch').waitFor();
  await shot(page, 'cart-active');

  // Welcome: the same, through its three steps.
  await create(page, base, 'Walk welcome', 'Welcome');
  assert.equal(await page.locator('input[name="delay_minutes"]').inputValue(), '0');
  assert.equal(await barState(page, 'rules'), 'Not started');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.waitForURL(/\/steps\/design$/);
  await page.getByLabel('Text', { exact: true }).fill('Welcome to the shop!');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.waitForURL(/\/steps\/launch$/);
  await page.getByText('new subscribers get it, each once').waitFor();
  await shot(page, 'welcome-launch');

  // The step bar follows a save without a reload; edits not saved yet are guarded.
  await create(page, base, 'Walk step bar', 'Single');
  assert.equal(await barState(page, 'segments'), 'Not started');
  await page.getByRole('radio', { name: 'Include Subscribers' }).check();
  await page.locator('.stepbar li[data-step="segments"] .state').getByText('Complete').waitFor();
  await page.locator('.stepbar li[data-step="goals"] a').click();
  await page.waitForURL(/\/steps\/goals$/);
  await page.getByLabel('Conversion event').fill('Order');
  const guarded = await page.evaluate(() => {
    const event = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(event);
    return event.defaultPrevented;
  });
  assert.ok(guarded, 'leaving with unsaved edits asks first');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.waitForURL(/\/steps\/launch$/);

  // A schedule in the past: the listing's link opens Launch, which names the problem.
  const drafts = await api('GET', '/campaigns?search=Black%20Friday%20preview');
  const { id: copy } = await api('POST', `/campaigns/${drafts[0].id}/duplicate`);
  await api('PATCH', `/campaigns/${copy}`, { name: 'Walk past schedule' });
  await api('PUT', `/campaigns/${copy}/steps/launch`, { send_at: '2020-01-01T10:00' });
  await page.goto(`${base}/campaigns`);
  await page.getByRole('link', { name: 'Walk past schedule' }).click();
  await page.waitForURL(/\/steps\/launch$/);
  await page.locator('#check').getByText(/has passed: choose a later time, or send now/).waitFor();
  await shot(page, 'launch-past-schedule');

  // Scheduled for later, then paused, resumed and cancelled from its page.
  await page.getByRole('radio', { name: 'Later, at' }).check();
  const later = new Date(Date.now() + 3 * 86400000).toISOString().slice(0, 16);
  await page.locator('input[name="send_at"]').fill(later);
  await page.getByRole('button', { name: 'Launch campaign' }).click();
  const confirmation = page.locator('#confirm-launch');
  await confirmation.getByText(/It will be sent at /).waitFor();
  await confirmation.getByRole('button', { name: 'Launch now' }).click();
  await page.waitForURL(/\/campaigns\/[^/]+$/);
  await page.locator('#status').getByText('Scheduled').waitFor();
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.locator('#status').getByText('Paused').waitFor();
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.locator('#status').getByText(/Scheduled|Running/).waitFor();
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('#status').getByText('Cancelled').waitFor();
  await shot(page, 'campaign-cancelled');

  // Duplicate the sent campaign from its page, then archive the copy from its wizard.
  await page.goto(`${base}/campaigns`);
  await page.getByRole('link', { name: 'Spring lookbook' }).click();
  await page.getByRole('button', { name: 'Duplicate' }).click();
  await page.waitForURL(/\/steps\/\w+$/);
  await page.getByRole('heading', { name: 'Copy of Spring lookbook' }).waitFor();
  await page.getByRole('button', { name: 'Archive' }).click();
  await page.waitForURL(/archived=true/);
  await page.getByRole('link', { name: 'Copy of Spring lookbook' }).waitFor();
  await page.goto(`${base}/campaigns`);
  assert.equal(await page.getByRole('link', { name: 'Copy of Spring lookbook' }).count(), 0);
  await shot(page, 'archived');
}

// The demo's active Cart Reminder: "Simulate a shopper" leaves two carts dated so that their
// reminder falls due at once, and orders one of them; within seconds the page shows one
// reminder sent and one cancelled by the order, and the shopper's contact page shows why.

export default async function walk({ page, base, shot, assert }) {
  await page.goto(`${base}/campaigns`);
  await page.getByRole('link', { name: 'Cart reminder', exact: true }).click();
  await page.locator('#status').getByText('Active').waitFor();
  await page.getByRole('button', { name: 'Simulate a shopper' }).click();
  await page.waitForURL(/#triggers$/);
  const figure = async (state) => Number(await page.locator(`[data-trigger="${state}"]`).textContent());
  const started = Date.now();
  while ((await figure('sent')) < 1 || (await figure('cancelled')) < 1) {
    assert.ok(Date.now() - started < 20000, 'the simulated shopper fired nothing within 20 s');
    await page.waitForTimeout(500);
    await page.reload();
  }
  const rows = page.getByRole('table', { name: 'Triggers' }).locator('tbody tr');
  assert.equal(await rows.count(), 2);
  await page.getByRole('table', { name: 'Triggers' }).getByText('Ordered').waitFor();
  await shot(page, 'cart-reminder-simulated');
  // The reminded shopper's page: the trigger, and the reminder the sandbox sent.
  await rows.filter({ hasText: 'sent' }).getByRole('link').click();
  await page.getByRole('heading', { name: /Triggers/ }).waitFor();
  await page.getByRole('table', { name: 'Triggers' }).getByRole('row', { name: /Cart reminder A cart left at .* sent/ }).waitFor();
  assert.match(await page.getByRole('table', { name: 'Messages' }).textContent(), /your cart is waiting/);
  await shot(page, 'shopper-contact');
}

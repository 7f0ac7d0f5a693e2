// One set of figures: the demo's sent campaign reads the same in the listing's row, on its page
// and in the API, and nothing the carrier reported undelivered is counted among the failed.

const FIELDS = ['delivered', 'undelivered', 'failed', 'skipped'];
const NAME = 'Spring lookbook';

async function figuresIn(scope, fields) {
  const found = {};
  for (const field of fields) found[field] = Number(await scope.locator(`[data-figure="${field}"]`).first().textContent());
  return found;
}

export default async function walk({ page, base, shot, assert, api }) {
  // The demo's campaign may still be sending when the walk starts: wait until every message
  // has its carrier's answer, so that the figures read below cannot move between reads.
  const [sent] = await api('GET', `/campaigns?search=${encodeURIComponent(NAME)}`);
  const settled = Date.now() + 60000;
  for (;;) {
    const p = await api('GET', `/campaigns/${sent.id}/progress`);
    if (p.audience_written && p.queued + p.sending === 0 && p.sent === p.delivered + p.undelivered) break;
    assert.ok(Date.now() < settled, `the demo's campaign did not settle: ${JSON.stringify(p)}`);
    await page.waitForTimeout(500);
  }
  // The listing's row and the page are read a moment apart: both are read again until they
  // agree, and then they must agree with the API too.
  const deadline = Date.now() + 15000;
  let listed;
  let shown;
  let href;
  while (true) {
    await page.goto(`${base}/campaigns?search=${encodeURIComponent(NAME)}`);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: NAME }) });
    await row.waitFor();
    listed = await figuresIn(row, [...FIELDS, 'sent', 'total']);
    await shot(page, 'figures-listing');
    const link = row.getByRole('link', { name: NAME });
    href = await link.getAttribute('href');
    await link.click();
    await page.waitForURL(new RegExp(`${href}$`));
    // The page's first poll has answered once the messages table has rows.
    await page.locator('#messages tr').first().waitFor();
    shown = await figuresIn(page, [...FIELDS, 'sent', 'total']);
    if ([...FIELDS, 'sent', 'total'].every((f) => listed[f] === shown[f]) || Date.now() > deadline) break;
    await page.waitForTimeout(1000);
  }
  await shot(page, 'figures-campaign');
  for (const field of [...FIELDS, 'sent', 'total']) {
    assert.equal(shown[field], listed[field], `${field}: the campaign page shows ${shown[field]}, the listing ${listed[field]}`);
  }
  assert.ok(listed.delivered > 0, `the demo's campaign has deliveries: ${JSON.stringify(listed)}`);
  assert.ok(shown.sent >= shown.delivered + shown.undelivered, `sent counts delivered and undelivered: ${JSON.stringify(shown)}`);

  // The API answers the same, in the listing and in the progress.
  const id = href.split('/').pop();
  const [campaign] = (await api('GET', `/campaigns?search=${encodeURIComponent(NAME)}`)).filter((c) => c.id === id);
  const progress = await api('GET', `/campaigns/${id}/progress`);
  for (const field of [...FIELDS, 'sent', 'total']) {
    assert.equal(campaign.figures[field], listed[field], `listing API's ${field}`);
    assert.equal(progress[field], listed[field], `progress API's ${field}`);
  }
  const sum = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
  assert.equal(sum(progress.failed_by_reason), progress.failed, 'failed by reason sums to failed');
  assert.equal(sum(progress.undelivered_by_reason), progress.undelivered, 'undelivered by code sums to undelivered');

  // "Failed, by reason" lists only the failed; the undelivered have their own list, by code.
  const failedList = await page.locator('#failed').textContent();
  assert.doesNotMatch(failedList, /undelivered/i, `Failed, by reason: ${failedList}`);
  const undeliveredItems = page.locator('#undelivered li');
  if (shown.undelivered > 0) {
    await undeliveredItems.filter({ hasText: '30003' }).first().waitFor();
  } else {
    assert.equal(await undeliveredItems.textContent(), 'None');
  }
}

// The report of the demo's sent campaign: figures, the chart drawn on the server, a person's
// click counted as human, recipients filtered, and the CSV export.

const NAME = 'Spring lookbook';

export default async function walk({ page, base, shot, assert, api }) {
  const [campaign] = await api('GET', `/campaigns?search=${encodeURIComponent(NAME)}`);
  const settled = Date.now() + 60000;
  for (;;) {
    const p = await api('GET', `/campaigns/${campaign.id}/progress`);
    if (p.audience_written && p.queued + p.sending === 0 && p.sent === p.delivered + p.undelivered) break;
    assert.ok(Date.now() < settled, `the demo's campaign did not settle: ${JSON.stringify(p)}`);
    await page.waitForTimeout(500);
  }
  // A person taps a recipient's link (the browser's own headers; more than 3 s after delivery).
  const [delivered] = await api('GET', `/campaigns/${campaign.id}/recipients?state=sent&limit=1`);
  const [message] = (await api('GET', `/campaigns/${campaign.id}/messages?limit=1000`)).filter((m) => m.id === delivered.message_id);
  const link = message.body.split(/\s+/).find((w) => w.includes('/l/'));
  if (link) {
    const wait = Date.parse(delivered.delivered_at ?? delivered.sent_at) + 3500 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
    // Headless Chromium names itself in its user agent (and is a bot); a phone's is used here.
    await page.setExtraHTTPHeaders({ 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1' });
    const status = await page.evaluate(async (path) => (await fetch(path, { redirect: 'manual' })).type, new URL(link).pathname);
    await page.setExtraHTTPHeaders({});
    assert.equal(status, 'opaqueredirect', 'the tracked link redirects');
    const counted = Date.now() + 10000;
    while ((await api('GET', `/campaigns/${campaign.id}/report`)).human_clicks < 1) {
      assert.ok(Date.now() < counted, 'the click is counted');
      await page.waitForTimeout(300);
    }
  }

  // The demo's shoppers answer the campaign by themselves once it is delivered (taps, orders):
  // the page and the API are compared once they have and the report stops moving.
  const answered = Date.now() + 60000;
  while ((await api('GET', `/campaigns/${campaign.id}/report`)).conversions === 0) {
    assert.ok(Date.now() < answered, "the demo's shoppers order");
    await page.waitForTimeout(500);
  }
  const still = Date.now() + 30000;
  let before = JSON.stringify(await api('GET', `/campaigns/${campaign.id}/report`));
  for (;;) {
    await page.waitForTimeout(1500);
    const now = JSON.stringify(await api('GET', `/campaigns/${campaign.id}/report`));
    if (now === before) break;
    assert.ok(Date.now() < still, 'the report settles');
    before = now;
  }
  await page.goto(`${base}/campaigns/${campaign.id}`);
  const report = await api('GET', `/campaigns/${campaign.id}/report`);
  assert.ok(report.conversions > 0 && report.holdout > 0 && report.lift, `the demo's shoppers answered: ${JSON.stringify(report)}`);
  const shown = async (name) => (await page.locator(`[data-report="${name}"]`).textContent()).trim();
  assert.equal(await shown('sent'), String(report.sent));
  assert.equal(await shown('delivered'), String(report.delivered));
  assert.equal(await shown('human_clicks'), String(report.human_clicks));
  assert.equal(await page.locator('#chart svg polyline').count(), 4, 'four series in the chart');
  const caption = await page.locator('#chart figcaption').textContent();
  assert.match(caption, new RegExp(`Sent: ${report.sent}\\b`), caption);
  await page.locator('#report').scrollIntoViewIfNeeded();
  await shot(page, 'report');

  // Recipients: filtered by state through the form, then back to all.
  await page.locator('#recipients select[name="state"]').selectOption('sent');
  await Promise.all([page.waitForURL(/state=sent/), page.locator('#recipients button').click()]);
  const states = await page.locator('#recipients tbody tr td:nth-child(2)').allTextContents();
  assert.ok(states.length > 0 && states.every((s) => s === 'sent'), `only sent rows: ${states}`);
  await page.locator('#recipients').scrollIntoViewIfNeeded();
  await shot(page, 'report-recipients');

  // The export: one row per recipient, with the header first.
  const csv = await page.evaluate(async (path) => (await fetch(path)).text(), `/api/v1/campaigns/${campaign.id}/export.csv`);
  const lines = csv.trim().split('\n');
  assert.equal(lines[0], 'phone,state,reason,last_status,human_clicks,converted,revenue');
  assert.equal(lines.length - 1, report.recipients, 'a row per recipient');
}

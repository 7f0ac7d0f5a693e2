// The contact page: from Contacts to one contact's attributes, consent and messages; a contact
// who got the demo's sent campaign sees it by name, linked to the campaign, with its state and
// timeline; an unknown contact is the 404 page.

export default async function walk({ page, base, shot, assert, api }) {
  // Any contact, by clicking its row's link in the list.
  await page.goto(`${base}/contacts`);
  const first = page.locator('table[aria-label="Contacts"] tbody tr').first().locator('a').first();
  const href = await first.getAttribute('href');
  assert.match(href, /^\/contacts\/\d+$/);
  await first.click();
  await page.waitForURL(`${base}${href}`);
  await page.getByRole('heading', { name: 'Attributes' }).waitFor();
  await page.getByRole('heading', { name: 'Consent' }).waitFor();
  assert.ok(await page.getByRole('table', { name: 'Attributes' }).getByText('Phone').isVisible());

  // A contact who got "Spring lookbook": found through the campaign's messages, then searched
  // for by phone and opened from the list.
  const campaigns = await api('GET', `/campaigns?search=${encodeURIComponent('Spring lookbook')}`);
  const spring = campaigns.find((c) => c.name === 'Spring lookbook');
  assert.ok(spring, 'the demo holds the sent campaign "Spring lookbook"');
  // Enough rows that a sent one is among them: the first by id may all be skipped (a country
  // outside MMS, the holdout drawn from the campaign's random id).
  const messages = await api('GET', `/campaigns/${spring.id}/messages?limit=200`);
  const sent = messages.find((m) => m.state === 'sent' && m.contact_id);
  assert.ok(sent, `a sent message among ${JSON.stringify(messages.map((m) => m.state))}`);
  await page.goto(`${base}/contacts`);
  await page.getByRole('searchbox', { name: 'Search' }).fill(sent.to);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/search=/);
  await page.locator(`a[href="/contacts/${sent.contact_id}"]`).first().click();
  await page.waitForURL(`${base}/contacts/${sent.contact_id}`);
  assert.ok((await page.locator('h1').textContent()).trim().length > 0);

  const row = page.getByRole('table', { name: 'Messages' }).locator('tbody tr')
    .filter({ has: page.getByRole('link', { name: 'Spring lookbook' }) });
  assert.equal(await row.count(), 1, 'one message of "Spring lookbook"');
  assert.equal(await row.getByRole('link', { name: 'Spring lookbook' }).getAttribute('href'), `/campaigns/${spring.id}`);
  assert.match(await row.locator('td').nth(1).textContent(), /sent/);
  assert.match(await row.textContent(), /Accepted by the provider/);
  // What the profile API answers is what the page shows.
  const profile = await api('GET', `/contacts/${sent.contact_id}/profile`);
  const listed = profile.messages.find((m) => m.campaign_id === spring.id);
  assert.equal(listed.campaign_name, 'Spring lookbook');
  if (listed.provider_status) assert.match(await row.locator('td').nth(2).textContent(), new RegExp(listed.provider_status));
  await shot(page, 'contact');

  // At a phone's width the page reflows without scrolling sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the contact page is ${width}px wide at 390px`);
  await shot(page, 'contact-phone');
  await page.setViewportSize({ width: 1360, height: 900 });

  // An unknown contact is the panel's 404 page.
  const missing = await page.goto(`${base}/contacts/999999999`);
  assert.equal(missing.status(), 404);
  const malformed = await page.goto(`${base}/contacts/not-a-number`);
  assert.equal(malformed.status(), 404);
}

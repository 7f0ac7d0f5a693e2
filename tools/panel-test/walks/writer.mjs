// "Write with AI" in the Design step, in each state: not configured (says how), turned off by
// the account (links to Settings), and on: a brief with a missing offer is refused by field, a
// real model's drafts come back as cards with their counters, one replaces the editor's text
// and the editor counts it exactly as its card did, More adds drafts. The brand voice is kept
// in Settings.
export default async function walk({ page, base, shot, assert, api }) {
  const settings = await api('GET', '/settings');
  const campaign = await api('POST', '/campaigns', { name: `Writer walk ${Date.now()}`, type: 'single', channel: 'sms' });
  await api('PUT', `/campaigns/${campaign.id}/steps/design`, { body: 'Hello', max_segments: 1 });
  const design = `${base}/campaigns/${campaign.id}/steps/design`;
  await page.goto(design);
  const card = page.locator('#ai-writer');
  if (!settings.ai_endpoint) {
    assert.ok(!process.env.TERN_TEST_AI_MODEL, 'with a model the demo has an AI endpoint');
    await card.getByText('Not available on this server').waitFor();
    assert.match(await card.textContent(), /TERN_AI_URL/);
    await shot(page, 'design-ai-not-configured');
    return;
  }

  // Turned off by the account: said, with the way back.
  await api('PATCH', '/settings', { ai_writer: false });
  await page.reload();
  await card.getByText('Turned off for this account').waitFor();
  assert.equal(await card.getByRole('link', { name: 'Settings' }).getAttribute('href'), '/settings');
  await api('PATCH', '/settings', { ai_writer: true });
  await page.reload();

  await page.getByText('Write with AI').click();
  const form = page.getByRole('form', { name: 'Write with AI' });
  // No offer: refused by field, nothing written.
  await form.getByRole('button', { name: 'Write drafts' }).click();
  await page.locator('#ai-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#ai-error').textContent(), /Product or offer/);

  await form.getByLabel('Product or offer').fill('Spring rain jackets, 20% off until Sunday');
  await form.getByLabel('Goal').fill('visit the shop this week');
  await form.locator('select[name="count"]').selectOption('3');
  await form.getByLabel('Link added to each draft (optional)').fill('https://shop.example/spring');
  await form.getByRole('button', { name: 'Write drafts' }).click();
  const cards = page.locator('.draft-card');
  await cards.first().waitFor({ timeout: 120000 });
  await shot(page, 'design-ai-drafts');

  // Each card fits: its counters say one GSM-7 segment.
  const count = await cards.count();
  for (let i = 0; i < count; i++) {
    assert.match(await cards.nth(i).locator('[data-draft-counters]').textContent(), /^\d+ characters · GSM-7 · 1 segment/);
  }
  const first = cards.first();
  const text = await first.locator('.draft-text').textContent();
  assert.ok(text.endsWith(' https://shop.example/spring'), text);
  const [, characters] = /^(\d+) characters/.exec(await first.locator('[data-draft-counters]').textContent());
  await first.getByRole('button', { name: 'Replace the text' }).click();
  assert.equal(await page.locator('#body').inputValue(), text);
  // The editor's counters, from the preview of what it now holds, agree with the card.
  await page.waitForFunction((n) => document.querySelector('[data-counter="characters"]')?.textContent === `${n} characters`, characters);
  assert.equal(await page.locator('[data-counter="encoding"]').textContent(), 'GSM-7');
  assert.equal(await page.locator('[data-counter="segments"]').textContent(), '1 segment');
  await page.locator('#save-state').getByText('Saved').waitFor();
  await shot(page, 'design-ai-applied');
  const saved = await api('GET', `/campaigns/${campaign.id}`);
  const step = saved.steps.find((s) => s.step === 'design');
  assert.equal(step.content.body, text);

  // More: the button waits for the model, then new drafts join the cards (those that did not
  // fit are listed as left out).
  const more = page.locator('#ai-more');
  await more.click();
  assert.equal(await more.textContent(), 'Writing…');
  await page.waitForFunction(() => document.querySelector('#ai-more').textContent === 'More', null, { timeout: 120000 });
  assert.ok(await page.locator('#ai-error').isHidden(), await page.locator('#ai-error').textContent());
  assert.ok(await cards.count() >= count);
  await shot(page, 'design-ai-more');

  // The brand voice is kept in Settings.
  await page.goto(`${base}/settings`);
  await page.getByLabel('Words never to use, comma-separated').fill('cheap, hurry');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.waitForFunction(() => document.querySelector('#toast')?.textContent === 'Settings saved.');
  assert.deepEqual((await api('GET', '/settings')).brand_voice.avoid_words, ['cheap', 'hurry']);
}

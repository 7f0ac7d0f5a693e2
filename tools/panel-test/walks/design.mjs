// The Design step as a marketer walks it, on a Single MMS campaign of its own: the preview
// starts on a contact who would receive the message and says how many would be skipped; a
// variable is inserted with a fallback, and an empty one is warned about; the SMS-only controls
// follow the channel; a second picture replaces the first; a refusal that cannot be fitted
// reads cleanly; no internal term reaches the page.
import { smallPng } from '../images.mjs';

export default async function walk({ page, base, shot, assert, api }) {
  // Waits until the element's text matches `pattern` (the preview refreshes after a pause).
  const waitText = (selector, pattern) => page.waitForFunction(
    ([sel, source, flags]) => new RegExp(source, flags).test(document.querySelector(sel)?.textContent ?? ''),
    [selector, pattern.source, pattern.flags]);
  const text = async (selector) => (await page.locator(selector).textContent()) ?? '';

  // Two contacts of our own, the Briton first: an MMS campaign would skip him.
  const tag = `design-walk-${Date.now()}`;
  const briton = await api('POST', '/contacts', { phone: '+447400123987', consent: 'subscribed', attributes: { first_name: 'Brit', last_name: tag } });
  const walker = await api('POST', '/contacts', { phone: '+14155550166', consent: 'subscribed', attributes: { first_name: 'Walker', last_name: tag } });
  assert.ok(briton.id < walker.id, 'the Briton comes first in the audience');
  const segment = await api('POST', '/segments', { name: `Design walk ${tag}`, definition: { attribute: 'last_name', op: '=', value: tag } });
  const campaign = await api('POST', '/campaigns', { name: `Design walk ${tag}`, type: 'single', channel: 'mms' });
  await api('PUT', `/campaigns/${campaign.id}/steps/segments`, { include: [segment.id] });
  await page.goto(`${base}/campaigns/${campaign.id}/steps/design`);

  // The preview starts on Walker, who would receive it, and counts the Briton as skipped.
  await waitText('#preview-to', /\+14155550166/);
  assert.doesNotMatch(await text('#preview-note'), /skipped/);
  await waitText('#preview-audience', /Of the audience's 2 contacts, 1 would receive it and 1 would be skipped/);
  assert.match(await text('#preview-audience'), /would be skipped — Outside the US, Canada and Australia \(MMS\): 1\.$/);
  await shot(page, 'design-walk-first-recipient');

  // Inserting first_name asks for its fallback, offered as "there".
  const body = page.getByLabel('Text', { exact: true });
  await body.fill('Hi ');
  await page.getByLabel('Personalization').selectOption({ label: 'first_name' });
  const fallback = page.locator('#fallback');
  await fallback.waitFor({ state: 'visible' });
  assert.equal(await fallback.inputValue(), 'there');
  await page.getByRole('button', { name: 'Insert', exact: true }).click();
  assert.equal(await body.inputValue(), 'Hi {{ first_name | default: "there" }}');
  await waitText('#preview-text', /^Hi Walker/);
  assert.equal(await page.locator('#design-warnings').isHidden(), true);

  // An empty fallback is warned about, with the variable named; a fallback ends the warning.
  await body.fill('Hi ');
  await fallback.fill('');
  await page.getByRole('button', { name: 'Insert', exact: true }).click();
  assert.equal(await body.inputValue(), 'Hi {{ first_name | default: "" }}');
  const warnings = page.locator('#design-warnings');
  await warnings.waitFor({ state: 'visible' });
  assert.match(await warnings.textContent(), /first_name falls back to nothing/);
  await shot(page, 'design-walk-empty-fallback');
  await body.fill('Hi {{ first_name | default: "there" }}, it’s here');
  await warnings.waitFor({ state: 'hidden' });

  // The UCS-2 box and the segment cap are SMS matters: hidden on MMS, shown on SMS.
  await waitText('#preview-text', /it’s here/);
  assert.equal(await page.locator('#ucs2').isHidden(), true, 'no UCS-2 box on MMS');
  const cap = page.locator('#max-segments-field');
  assert.equal(await cap.isHidden(), true, 'no segment cap on MMS');
  await page.getByRole('radio', { name: 'SMS', exact: true }).check();
  await page.locator('#ucs2').waitFor({ state: 'visible' });
  await cap.waitFor({ state: 'visible' });
  assert.match(await cap.textContent(), /Most segments/);
  assert.match(await text('[data-counter="limit"]'), /of \d+ characters$/);
  await shot(page, 'design-walk-sms');
  await page.getByRole('button', { name: 'Replace with “\'”' }).click();
  await waitText('[data-counter="limit"]', /GSM-7 characters \(extension characters count 2\)$/);
  await page.getByRole('radio', { name: 'MMS', exact: true }).check();
  await cap.waitFor({ state: 'hidden' });
  assert.equal(await page.locator('#ucs2').isHidden(), true);

  // A second picture, uploaded or picked from the library, replaces the first.
  await page.locator('#file').setInputFiles({ name: 'walk-one.png', mimeType: 'image/png', buffer: smallPng(11) });
  await page.locator('#attached').getByText('walk-one.png').waitFor();
  await page.locator('#file').setInputFiles({ name: 'walk-two.png', mimeType: 'image/png', buffer: smallPng(12) });
  await page.locator('#attached').getByText('walk-two.png').waitFor();
  assert.equal(await page.locator('#attached li').count(), 1, 'one picture after two uploads');
  const option = page.locator('#library option').nth(1);
  const [picked, pickedId] = [await option.textContent(), await option.getAttribute('value')];
  await page.locator('#library').selectOption({ index: 1 });
  await page.locator('#attached').getByText(picked.split(' (')[0]).waitFor();
  assert.equal(await page.locator('#attached li').count(), 1, 'one picture after a library pick');
  // What is saved is that one picture.
  const deadline = Date.now() + 15000;
  for (;;) {
    const steps = await api('GET', `/campaigns/${campaign.id}/steps`);
    const design = steps.find((s) => s.step === 'design');
    if (design.complete && JSON.stringify(design.content?.media) === JSON.stringify([pickedId])) break;
    assert.ok(Date.now() < deadline, `the design was not saved with one picture: ${JSON.stringify(design)}`);
    await page.waitForTimeout(300);
  }
  await shot(page, 'design-walk-one-picture');

  // A file that is no picture cannot be fitted: the refusal says why, with no stray "null".
  await page.locator('#file').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture at all') });
  const refusal = page.locator('#media-error');
  await refusal.getByText('notes.png was refused').waitFor();
  assert.doesNotMatch(await refusal.textContent(), /null/);
  assert.equal(await refusal.getByRole('button').count(), 0, 'no offer to fit');
  await shot(page, 'design-walk-unfittable');

  // The Briton's preview says why he is skipped in a marketer's words.
  await page.locator('#preview-contact-id').fill(String(briton.id));
  await waitText('#preview-note', /would be skipped: Outside the US, Canada and Australia \(MMS\)\./);

  // No internal term on the page.
  const words = await page.locator('main').innerText();
  for (const term of [/septet/i, /UTF-16/, /\bbody:/i, /Outside mms countries/, /No sender\./]) {
    assert.doesNotMatch(words, term);
  }
}

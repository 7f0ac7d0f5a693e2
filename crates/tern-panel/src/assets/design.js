// The Design step: text with personalization (each variable with its fallback) and live
// counters, UCS-2 replacements, the picture by drag and drop (with the exact refusal and the
// offer to fit), a phone preview, test sends, and drafts written with AI (`writer.js`).
import { $, $$, api, el, problemList, toast, label, pageData, debounce, ApiFailure, showStepState } from './panel.js';
import { setupWriter } from './writer.js';

const page = pageData('wizard-data');
const id = page.campaign.id;
const form = $('#design-form');
const body = $('#body');
const library = new Map(page.data.media.map((m) => [m.id, m]));
let media = [...(page.content.media ?? [])];
let channel = page.campaign.channel;

function design() {
  return {
    channel,
    body: body.value,
    media: channel === 'mms' ? media : [],
    shorten_links: form.elements.shorten_links.checked,
    opt_out_footer: form.elements.opt_out_footer.checked,
    max_segments: Number(form.elements.max_segments.value),
    outside_mms_countries: channel === 'mms' ? form.elements.outside_mms_countries.value : 'skip',
    product_picture: channel === 'mms' && (form.elements.product_picture?.checked ?? false),
  };
}

// Saving ------------------------------------------------------------------------------------

let saved = JSON.stringify(design());
async function save() {
  const current = design();
  const view = await api('PUT', `/campaigns/${id}/steps/design`, current);
  saved = JSON.stringify(current);
  $('#save-state').textContent = 'Saved';
  showStepState(view);
  return view;
}
// Autosave waits a moment after each keystroke: leaving before it ran asks first.
window.addEventListener('beforeunload', (event) => {
  if (JSON.stringify(design()) === saved) return;
  event.preventDefault();
  event.returnValue = '';
});
const autosave = debounce(() => {
  if (JSON.stringify(design()) !== saved) save().catch((e) => toast(e.message, 'error'));
}, 1200);

// Counters and preview ---------------------------------------------------------------------

function contactId() {
  const typed = $('#preview-contact-id').value.trim();
  const chosen = typed || $('#preview-contact').value;
  return chosen ? Number(chosen) : undefined;
}

// Segments, their cap and UCS-2 matter only where the text goes as SMS: an SMS campaign, or an
// MMS campaign's recipients outside the MMS countries when they get it as SMS.
function sendsSms() {
  return channel === 'sms' || form.elements.outside_mms_countries.value === 'sms_with_link';
}

function showSmsControls() {
  $('#max-segments-field').hidden = !sendsSms();
  if (!sendsSms()) $('#ucs2').hidden = true;
}

function showCounters(counters) {
  const set = (name, text) => { $(`[data-counter="${name}"]`).textContent = text; };
  if (!counters) {
    set('characters', '—');
    set('encoding', '');
    set('segments', '');
    set('limit', '');
    return;
  }
  const mms = counters.channel === 'mms';
  set('characters', `${counters.characters} characters`);
  // For MMS the encoding is the one its text needs as SMS, outside the MMS countries.
  const ucs2 = counters.encoding === 'UCS-2';
  set('encoding', counters.encoding);
  set('segments', mms ? 'MMS, not segmented' : `${counters.segments} segment${counters.segments === 1 ? '' : 's'}`);
  const limit = $('[data-counter="limit"]');
  limit.textContent = `${counters.units} of ${counters.limit} ${ucs2 || mms ? 'characters' : 'GSM-7 characters (extension characters count 2)'}`;
  limit.classList.toggle('over', !counters.fits);
  const box = $('#ucs2');
  box.hidden = counters.ucs2_characters.length === 0 || !sendsSms();
  const seen = new Map();
  for (const c of counters.ucs2_characters) if (!seen.has(c.char)) seen.set(c.char, c.replacement);
  $('#ucs2-list').replaceChildren(...[...seen].map(([char, replacement]) => el('li', {},
    el('code', {}, char), ' ',
    replacement == null
      ? el('span', { class: 'muted' }, 'no GSM-7 look-alike: remove it to stay GSM-7')
      : el('button', { type: 'button', class: 'button small', onclick: () => replace(new Map([[char, replacement]])) }, `Replace with “${replacement}”`))));
  $('#replace-all').hidden = ![...seen.values()].some((r) => r != null);
  $('#replace-all').onclick = () => replace(new Map([...seen].filter(([, r]) => r != null)));
}

function replace(pairs) {
  let text = body.value;
  for (const [char, replacement] of pairs) text = text.split(char).join(replacement);
  body.value = text;
  refresh();
}

function showPreview(view) {
  $('#preview-to').textContent = view.contact ? `To ${view.contact.phone ?? 'no phone'}${view.contact.country ? ` (${view.contact.country})` : ''}` : 'Sample contact';
  $('#preview-media').replaceChildren(...(view.route === 'mms' ? view.media : []).map((m) => el('img', { src: m.url, alt: `Picture ${m.width}×${m.height}`, class: 'phone-media' })));
  $('#preview-text').textContent = view.text ?? '';
  $('#preview-text').hidden = !view.text;
  const notes = [];
  if (view.skipped) notes.push(`This contact would be skipped: ${label(view.skipped)}.`);
  if (view.render_error) notes.push(view.render_error);
  if (view.route === 'sms_with_link') notes.push('Outside the US, Canada and Australia the picture goes as a link in an SMS.');
  $('#preview-note').textContent = notes.join(' ');
  $('#preview-audience').textContent = view.audience ? audienceNote(view.audience) : '';
  const problems = $('#design-problems');
  problems.replaceChildren(view.problems.length ? problemList(view.problems) : '');
  showWarnings(view.warnings ?? []);
}

const count = (n) => n.toLocaleString('en-US');

function audienceNote({ audience, recipients, skipped }) {
  const reasons = Object.entries(skipped).filter(([, n]) => n > 0);
  const total = reasons.reduce((sum, [, n]) => sum + n, 0);
  const reach = `Of the audience's ${count(audience)} contacts, ${count(recipients)} would receive it`;
  if (total === 0) return `${reach}.`;
  return `${reach} and ${count(total)} would be skipped — ${reasons.map(([reason, n]) => `${label(reason)}: ${count(n)}`).join(', ')}.`;
}

function showWarnings(warnings) {
  const box = $('#design-warnings');
  box.hidden = warnings.length === 0;
  box.replaceChildren(...(warnings.length ? [
    el('p', {}, el('strong', {}, 'Some contacts would read a gap in the text:')),
    el('ul', {}, warnings.map((w) => el('li', {}, w.message))),
  ] : []));
}

let sequence = 0;
// The contact the preview shows, so that a test message is personalised as its preview is.
let previewed;
const refresh = debounce(async () => {
  const mine = ++sequence;
  try {
    const view = await api('POST', `/campaigns/${id}/preview`, { design: design(), contact_id: contactId() });
    if (mine !== sequence) return;
    previewed = view.contact?.id;
    showCounters(view.counters);
    showPreview(view);
  } catch (error) {
    if (mine === sequence) $('#design-problems').replaceChildren(el('p', { class: 'alert error' }, error.message));
  }
  autosave();
}, 200);

// Personalization ---------------------------------------------------------------------------

// A variable some contacts may lack is inserted with the fallback typed beside the picker, so
// no one reads "Hi , …".
function showFallback() {
  const option = $('#variable').selectedOptions[0];
  const fallback = option?.dataset.fallback;
  $('#fallback-field').hidden = fallback === undefined;
  $('#fallback').value = fallback ?? '';
}

function insertion() {
  const option = $('#variable').selectedOptions[0];
  if (!option) return '';
  if (option.dataset.fallback === undefined) return option.value;
  // Liquid strings have no escapes: a fallback with double quotes goes in single ones.
  const typed = $('#fallback').value;
  const quote = typed.includes('"') && !typed.includes("'") ? "'" : '"';
  const text = quote === '"' ? typed.replaceAll('"', '') : typed;
  return `{{ ${option.dataset.name} | default: ${quote}${text}${quote} }}`;
}

function insertVariable() {
  const text = insertion();
  if (!text) return;
  const [start, end] = [body.selectionStart, body.selectionEnd];
  body.setRangeText(text, start, end, 'end');
  body.focus();
  refresh();
}

$('#variable').addEventListener('change', showFallback);
$('#insert-variable').addEventListener('click', insertVariable);
$('#fallback').addEventListener('keydown', (event) => {
  // Enter inserts; it must not submit the step.
  if (event.key === 'Enter') { event.preventDefault(); insertVariable(); }
});

// Channel -----------------------------------------------------------------------------------

for (const radio of $$('input[name="channel"]', form)) {
  radio.addEventListener('change', () => {
    channel = radio.value;
    $('#media-section').hidden = channel !== 'mms';
    $('#channel-tag').textContent = channel.toUpperCase();
    showSmsControls();
    refresh();
  });
}
form.elements.outside_mms_countries.addEventListener('change', showSmsControls);

// Pictures ----------------------------------------------------------------------------------

function showAttached() {
  $('#attached').replaceChildren(...media.map((mediaId) => {
    const item = library.get(mediaId);
    return el('li', { class: 'attached-item' },
      item ? el('img', { src: item.url, alt: '' }) : null,
      el('span', {}, item ? `${item.file_name} · ${Math.round(item.bytes / 1024)} KB` : mediaId),
      el('button', { type: 'button', class: 'button small ghost', 'aria-label': `Remove ${item?.file_name ?? 'picture'}`, onclick: () => { media = media.filter((m) => m !== mediaId); showAttached(); refresh(); } }, 'Remove'));
  }));
}

// An MMS carries one picture: a new one replaces it. Says whether one was replaced.
function attach(item) {
  library.set(item.id, item);
  const replaced = media.some((m) => m !== item.id);
  media = [item.id];
  $('#media-error').hidden = true;
  showAttached();
  refresh();
  return replaced;
}

const attached = (name, replaced) => toast(replaced ? `${name} replaces the previous picture.` : `${name} attached.`);

async function upload(file, name = file.name) {
  const data = new FormData();
  data.append('file', file, name);
  return api('POST', '/media', data);
}

async function fit(file) {
  const data = new FormData();
  data.append('file', file, file.name);
  const fitted = await api('POST', '/media/fit', data);
  const bytes = Uint8Array.from(atob(fitted.data_base64), (c) => c.charCodeAt(0));
  const name = file.name.replace(/\.[^.]*$/, '') + `.${fitted.format === 'jpeg' ? 'jpg' : fitted.format}`;
  const replaced = attach(await upload(new Blob([bytes], { type: fitted.mime }), name));
  toast(`Fitted to ${Math.round(fitted.bytes / 1024)} KB (${fitted.width}×${fitted.height}) and ${replaced ? 'put in place of the previous picture' : 'attached'}.`);
}

async function take(file) {
  const box = $('#media-error');
  box.hidden = true;
  try {
    attached(file.name, attach(await upload(file)));
  } catch (error) {
    if (!(error instanceof ApiFailure)) throw error;
    const messages = error.problems.length ? error.problems.map((p) => p.message) : [error.message];
    const fittable = error.problems.some((p) => ['too_large', 'too_wide', 'too_tall', 'too_many_pixels'].includes(p.code));
    const refusal = [el('p', {}, el('strong', {}, `${file.name} was refused: `), messages.join('; '))];
    if (fittable) refusal.push(el('button', { type: 'button', class: 'button small', id: 'fit', onclick: () => fit(file).catch((e) => { box.replaceChildren(el('p', {}, e.message)); }) }, 'Fit it to the limit'));
    box.replaceChildren(...refusal);
    box.hidden = false;
  }
}

const zone = $('#dropzone');
zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('over'); });
zone.addEventListener('dragleave', () => zone.classList.remove('over'));
zone.addEventListener('drop', (event) => {
  event.preventDefault();
  zone.classList.remove('over');
  const [file, ...others] = event.dataTransfer.files;
  if (others.length) toast('An MMS carries one picture: the first file is used.', 'warn');
  if (file) take(file);
});
zone.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); $('#file').click(); }
});
$('#file').addEventListener('change', (event) => {
  const [file] = event.target.files;
  if (file) take(file);
  event.target.value = '';
});
$('#library').addEventListener('change', (event) => {
  const item = library.get(event.target.value);
  if (item) attached(item.file_name, attach(item));
  event.target.value = '';
});

// Test sends --------------------------------------------------------------------------------

function showTests(messages) {
  $('#tests').replaceChildren(...messages.slice(-10).reverse().map((m) => el('tr', {},
    el('td', {}, m.to),
    el('td', {}, el('span', { class: `status status-${m.provider_status ?? m.state}` }, label(m.provider_status ?? m.state)),
      m.error_message ? el('span', { class: 'muted small' }, ` ${m.error_message}`) : null))));
}

let polling;
async function pollTests(until) {
  clearTimeout(polling);
  const messages = await api('GET', `/campaigns/${id}/tests`);
  showTests(messages);
  const settled = messages.every((m) => ['delivered', 'undelivered', 'failed'].includes(m.provider_status) || m.state === 'failed');
  if (!settled && Date.now() < until) polling = setTimeout(() => pollTests(until), 1000);
}

$('#send-test')?.addEventListener('click', async (event) => {
  event.target.disabled = true;
  try {
    await save();
    await api('POST', `/campaigns/${id}/tests`, { contact_id: contactId() ?? previewed });
    toast('Test sent.');
    await pollTests(Date.now() + 60000);
  } catch (error) {
    toast(error.message, 'error');
  } finally {
    event.target.disabled = false;
  }
});

// Preview contact ---------------------------------------------------------------------------

api('GET', '/contacts?limit=25&consent=subscribed').then((listed) => {
  $('#preview-contact').append(...listed.contacts.filter((c) => c.phone).map((c) => el('option', { value: c.id },
    [c.attributes.first_name, c.attributes.last_name].filter(Boolean).join(' ') || `#${c.id}`, ` · ${c.phone}`)));
}).catch(() => {});

// Wiring ------------------------------------------------------------------------------------

form.addEventListener('input', refresh);
form.addEventListener('change', refresh);
$('#preview-contact').addEventListener('change', refresh);
$('#preview-contact-id').addEventListener('input', refresh);
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const view = await save();
    if (!view.complete) {
      $('#design-problems').replaceChildren(problemList(view.problems));
      toast('Saved; the design still has something to fix.', 'warn');
      return;
    }
    location.assign(page.next ? `/campaigns/${id}/steps/${page.next}` : `/campaigns/${id}`);
  } catch (error) {
    $('#design-problems').replaceChildren(el('p', { class: 'alert error', role: 'alert' }, error.message));
  }
});
setupWriter({ id, body, design });
showFallback();
showSmsControls();
showAttached();
refresh();
api('GET', `/campaigns/${id}/tests`).then(showTests).catch(() => {});

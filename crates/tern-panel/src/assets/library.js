// Contacts (CSV import with progress), the segment builder's live count, media uploads and
// settings: each part runs on the page that has its form.
import { $, $$, api, el, toast, debounce, pageData } from './panel.js';

// Contacts: import ------------------------------------------------------------------------------

const importForm = $('#import-form');
if (importForm) {
  const box = $('#import-progress');
  const show = (job) => {
    box.hidden = false;
    const percent = Math.round(job.progress * 100);
    $('.bar', box).value = percent;
    $('p', box).textContent = `${job.file_name}: ${job.status}, ${job.rows_done} rows (${job.created} new, ${job.updated} updated, ${job.unchanged} unchanged, ${job.rejected} rejected)${job.error ? ` — ${job.error}` : ''}`;
  };
  importForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(importForm);
    try {
      let job = await api('POST', '/contacts/imports', data);
      show(job);
      while (!['completed', 'failed'].includes(job.status)) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        job = await api('GET', `/contacts/imports/${job.id}`);
        show(job);
      }
      toast(job.status === 'completed' ? 'Import finished.' : 'Import failed.', job.status === 'completed' ? 'ok' : 'error');
    } catch (error) {
      toast(error.message, 'error');
    }
  });
}

// Segments: builder -----------------------------------------------------------------------------

const segmentForm = $('#segment-form');
if (segmentForm) {
  const conditions = $('#conditions');
  const addCondition = () => {
    conditions.append(el('div', { class: 'row condition' },
      el('label', {}, 'Attribute ', el('input', { name: 'attribute', placeholder: 'tier' })),
      el('label', {}, 'is ', el('select', { name: 'op' }, ['=', '!=', '<', '>', 'contains', 'exists'].map((op) => el('option', {}, op)))),
      el('label', {}, 'Value ', el('input', { name: 'value', placeholder: 'gold' })),
      el('button', { type: 'button', class: 'button small ghost', onclick: (e) => { e.target.closest('.condition').remove(); update(); } }, 'Remove')));
  };
  const definition = () => {
    const all = [];
    const consent = $$('input[name="consent"]:checked', segmentForm).map((i) => i.value);
    if (consent.length) all.push({ consent });
    const countries = segmentForm.elements.countries.value.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean);
    if (countries.length) all.push({ country: countries });
    for (const row of $$('.condition', conditions)) {
      const attribute = $('[name="attribute"]', row).value.trim();
      if (!attribute) continue;
      const op = $('[name="op"]', row).value;
      const raw = $('[name="value"]', row).value.trim();
      const number = Number(raw);
      const condition = { attribute, op };
      if (op !== 'exists') condition.value = raw !== '' && !Number.isNaN(number) ? number : raw;
      all.push(condition);
    }
    const event = segmentForm.elements.event.value.trim();
    if (event) {
      const within = Number(segmentForm.elements.within_days.value);
      all.push(within ? { event, within_days: within } : { event });
    }
    return all.length === 1 ? all[0] : { and: all };
  };
  const update = debounce(async () => {
    const current = definition();
    $('#definition').textContent = JSON.stringify(current, null, 2);
    try {
      const answer = await api('POST', '/segments/preview', { definition: current, sample: 0 });
      $('#segment-count').replaceChildren(el('strong', {}, answer.count), ' contacts match');
      $('#segment-error').hidden = true;
    } catch (error) {
      $('#segment-error').textContent = error.message;
      $('#segment-error').hidden = false;
    }
  }, 250);
  $('#add-condition').addEventListener('click', addCondition);
  segmentForm.addEventListener('input', update);
  segmentForm.addEventListener('change', update);
  segmentForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', '/segments', { name: segmentForm.elements.name.value, definition: definition() });
      location.reload();
    } catch (error) {
      $('#segment-error').textContent = error.message;
      $('#segment-error').hidden = false;
    }
  });
  update();
  for (const node of $$('[data-count]')) {
    api('GET', `/segments/${node.dataset.count}/audience?sample=0`)
      .then((answer) => { node.textContent = `${answer.count} contacts`; })
      .catch((error) => { node.textContent = error.message; });
  }
}

// Media library ---------------------------------------------------------------------------------

const libraryDrop = $('#library-drop');
if (libraryDrop) {
  const error = $('#library-error');
  const upload = async (files) => {
    const refused = [];
    for (const file of files) {
      const data = new FormData();
      data.append('file', file, file.name);
      try {
        await api('POST', '/media', data);
      } catch (e) {
        refused.push(`${file.name}: ${e.problems.length ? e.problems.map((p) => p.message).join('; ') : e.message}`);
      }
    }
    if (refused.length) {
      error.textContent = refused.join('\n');
      error.hidden = false;
    } else location.reload();
  };
  libraryDrop.addEventListener('dragover', (e) => { e.preventDefault(); libraryDrop.classList.add('over'); });
  libraryDrop.addEventListener('dragleave', () => libraryDrop.classList.remove('over'));
  libraryDrop.addEventListener('drop', (e) => { e.preventDefault(); libraryDrop.classList.remove('over'); upload([...e.dataTransfer.files]); });
  libraryDrop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('#library-file').click(); } });
  $('#library-file').addEventListener('change', (e) => upload([...e.target.files]));
  for (const button of $$('[data-delete-media]')) {
    button.addEventListener('click', async () => {
      try {
        await api('DELETE', `/media/${button.dataset.deleteMedia}`);
        button.closest('li').remove();
      } catch (e) {
        toast(e.message, 'error');
      }
    });
  }
}

// Settings --------------------------------------------------------------------------------------

const settingsForm = $('#settings-form');
if (settingsForm) {
  const settings = pageData('settings-data');
  const remove = (e) => e.target.closest('tr').remove();
  const senderRow = (s = { country: '', kind: 'phone_number', address: '', segments_per_second: 1 }) => el('tr', { class: 'sender' },
    el('td', {}, el('input', { name: 'country', value: s.country, size: 3, maxlength: 2, 'aria-label': 'Country' })),
    el('td', {}, el('select', { name: 'kind', 'aria-label': 'Kind' }, ['phone_number', 'short_code', 'messaging_service'].map((k) => el('option', { value: k, selected: k === s.kind }, k.replaceAll('_', ' '))))),
    el('td', {}, el('input', { name: 'address', value: s.address, 'aria-label': 'Address' })),
    el('td', {}, el('input', { name: 'segments_per_second', type: 'number', min: 1, value: s.segments_per_second, 'aria-label': 'Segments per second' })),
    el('td', {}, el('button', { type: 'button', class: 'button small ghost', onclick: remove }, 'Remove')));
  const countries = new Set([...Object.keys(settings.prices.per_segment), ...Object.keys(settings.prices.per_mms)]);
  const priceRow = (country = '') => el('tr', { class: 'price' },
    el('td', {}, el('input', { name: 'country', value: country, size: 3, maxlength: 2, 'aria-label': 'Country' })),
    el('td', {}, el('input', { name: 'per_segment', value: settings.prices.per_segment[country] ?? '', inputmode: 'decimal', 'aria-label': 'Per SMS segment' })),
    el('td', {}, el('input', { name: 'per_mms', value: settings.prices.per_mms[country] ?? '', inputmode: 'decimal', 'aria-label': 'Per MMS' })),
    el('td', {}, el('button', { type: 'button', class: 'button small ghost', onclick: remove }, 'Remove')));
  $('#senders').append(...settings.senders.map(senderRow));
  $('#prices').append(...[...countries].map(priceRow));
  $('#add-sender').addEventListener('click', () => $('#senders').append(senderRow()));
  $('#add-price').addEventListener('click', () => $('#prices').append(priceRow()));

  settingsForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const f = settingsForm.elements;
    const value = (row, name) => $(`[name="${name}"]`, row).value.trim();
    const patch = {
      timezone: f.timezone.value.trim(),
      quiet_hours: { allowed_from: f.allowed_from.value, allowed_until: f.allowed_until.value },
      frequency_cap: f.cap_messages.value && f.cap_days.value ? { messages: Number(f.cap_messages.value), days: Number(f.cap_days.value) } : null,
      opt_out_footer: f.opt_out_footer.value,
      help_reply: f.help_reply.value,
      test_numbers: f.test_numbers.value.split('\n').map((n) => n.trim()).filter(Boolean),
      senders: $$('tr.sender').map((row) => ({ country: value(row, 'country').toUpperCase(), kind: value(row, 'kind'), address: value(row, 'address'), segments_per_second: Number(value(row, 'segments_per_second')) })),
      prices: { currency: f.currency.value.trim().toUpperCase(), per_segment: {}, per_mms: {} },
      sandbox: { latency_ms: Number(f.latency_ms.value), failure_percent: Number(f.failure_percent.value) },
      own_domains: f.own_domains.value.split('\n').map((d) => d.trim()).filter(Boolean),
      identify_sets_consent: f.identify_sets_consent.checked,
      currency: f.revenue_currency.value.trim().toUpperCase(),
      ai_writer: f.ai_writer.type === 'checkbox' ? f.ai_writer.checked : f.ai_writer.value === 'on',
      brand_voice: {
        description: f.voice_description.value.trim(),
        use_words: f.voice_use_words.value.split(',').map((w) => w.trim()).filter(Boolean),
        avoid_words: f.voice_avoid_words.value.split(',').map((w) => w.trim()).filter(Boolean),
        examples: f.voice_examples.value.split('\n').map((e) => e.trim()).filter(Boolean),
      },
    };
    for (const row of $$('tr.price')) {
      const country = value(row, 'country').toUpperCase();
      if (!country) continue;
      if (value(row, 'per_segment')) patch.prices.per_segment[country] = value(row, 'per_segment');
      if (value(row, 'per_mms')) patch.prices.per_mms[country] = value(row, 'per_mms');
    }
    if (f.account_sid.value.trim()) patch.twilio = { account_sid: f.account_sid.value.trim(), auth_token: f.auth_token.value };
    else if (f.remove_twilio?.checked) patch.twilio = null;
    const box = $('#settings-error');
    try {
      // Saved only over what this page showed: someone else's change since is not lost.
      await api('PATCH', '/settings', patch, { 'if-match': `"${settings.revision}"` });
      box.hidden = true;
      toast('Settings saved.');
      setTimeout(() => location.reload(), 600);
    } catch (error) {
      box.textContent = error.status === 412
        ? 'Someone changed the settings since this page opened; nothing was saved. Reload the page to see their change, then make yours again.'
        : error.field ? `${error.field}: ${error.message}` : error.message;
      box.hidden = false;
    }
  });
}

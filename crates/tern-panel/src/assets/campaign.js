// The campaign page: progress that updates itself, and pause, resume and cancel.
import { $, api, el, label, toast, words } from './panel.js';

const id = $('#campaign').dataset.id;
const settledStates = ['completed', 'cancelled'];

function reasons(list, counts, name) {
  const entries = Object.entries(counts);
  list.replaceChildren(...(entries.length
    ? entries.map(([reason, n]) => el('li', {}, `${name(reason)}: `, el('strong', {}, n)))
    : [el('li', { class: 'muted' }, 'None')]));
}

function show(progress) {
  for (const node of document.querySelectorAll('[data-figure]')) node.textContent = progress[node.dataset.figure];
  const status = $('#status');
  status.textContent = words(progress.status);
  status.className = `status status-${progress.status}`;
  const done = progress.delivered + progress.undelivered + progress.failed + progress.cancelled + progress.skipped;
  const bar = $('#bar');
  bar.max = progress.total || 1;
  bar.value = done;
  const writing = !progress.audience_written && ['scheduled', 'running', 'paused'].includes(progress.status);
  $('#writing').hidden = !writing;
  $('#written').textContent = writing ? 'Writing the audience: the figures count the recipients written so far.' : '';
  $('#provider-paused').hidden = !progress.provider_paused_until;
  $('#paused-until').textContent = progress.provider_paused_until
    ? new Date(progress.provider_paused_until).toLocaleTimeString() : '';
  reasons($('#skipped'), progress.skipped_by_reason, label);
  reasons($('#failed'), progress.failed_by_reason, label);
  const explained = (code) => (code === 'none' ? '' : `${code} — `) + (progress.error_codes[code] ?? '');
  reasons($('#undelivered'), progress.undelivered_by_reason, explained);
  const live = ['running', 'scheduled', 'active'].includes(progress.status);
  $('#pause').hidden = !live;
  $('#resume').hidden = progress.status !== 'paused';
  $('#cancel').hidden = !(live || progress.status === 'paused');
}

function showMessages(messages) {
  $('#messages').replaceChildren(...messages.map((m) => el('tr', {},
    el('td', {}, m.to),
    el('td', {}, words(m.state)),
    el('td', {}, m.provider_status ? el('span', { class: `status status-${m.provider_status}` }, words(m.provider_status)) : '—'),
    el('td', { class: 'muted' }, m.reason ? label(m.reason) : m.error_message ?? ''))));
}

async function poll() {
  try {
    // Messages first: the progress read after them counts at least the rows they show.
    const messages = await api('GET', `/campaigns/${id}/messages?limit=20`);
    const progress = await api('GET', `/campaigns/${id}/progress`);
    show(progress);
    showMessages(messages);
    const pending = progress.queued + progress.sending + (progress.sent - progress.delivered - progress.undelivered);
    if (settledStates.includes(progress.status) && pending <= 0) return;
  } catch (error) {
    toast(error.message, 'error');
  }
  setTimeout(poll, 1000);
}

for (const action of ['pause', 'resume', 'cancel']) {
  $(`#${action}`).addEventListener('click', async (event) => {
    if (action === 'cancel' && !confirm('Cancel this campaign? Messages not yet sent will not be sent.')) return;
    event.target.disabled = true;
    try {
      await api('POST', `/campaigns/${id}/${action}`);
      toast(`Campaign ${action === 'cancel' ? 'cancelled' : action === 'pause' ? 'paused' : 'resumed'}.`);
      show(await api('GET', `/campaigns/${id}/progress`));
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      event.target.disabled = false;
    }
  });
}

poll();

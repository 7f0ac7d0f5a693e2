// "Write with AI" in the Design step: a brief goes to the operator's model; the drafts come
// back as cards with Tern's own counters (the footer and shortened link included) and cost,
// and one is applied into the editor, replacing its text or at the cursor. More asks again
// without repeating what is shown.
import { $, api, el, label } from './panel.js';

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function counterLine(draft) {
  const c = draft.counters;
  const parts = [plural(c.characters, 'character'), c.encoding];
  parts.push(c.channel === 'mms' ? 'MMS' : plural(c.segments, 'segment'));
  if (draft.cost.length) parts.push(`a message: ${draft.cost.map((c) => `${c.country} ${c.price} ${c.currency}`).join(', ')}`);
  return parts.join(' · ');
}

/** Wires the writer's form; `body` is the editor, `design` the unsaved Design step. */
export function setupWriter({ id, body, design }) {
  const form = $('#ai-form');
  if (!form) return;
  const shown = [];
  let brief;
  // Where the editor's cursor was: a card's button takes the focus, the selection stays.
  let selection = { start: body.value.length, end: body.value.length };
  const remember = () => { selection = { start: body.selectionStart, end: body.selectionEnd }; };
  body.addEventListener('select', remember);
  body.addEventListener('keyup', remember);
  body.addEventListener('click', remember);

  function apply(text, replacing) {
    if (replacing) body.value = text;
    else body.setRangeText(text, selection.start, selection.end, 'end');
    body.focus();
    // The editor's own listeners recount, preview and save.
    body.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function card(draft) {
    const number = shown.length;
    return el('article', { class: 'draft-card', 'aria-label': `Draft ${number}` },
      el('p', { class: 'draft-text' }, draft.text),
      el('p', { class: 'counters small', 'data-draft-counters': '' }, counterLine(draft), draft.rewritten ? ' · rewritten to fit' : ''),
      draft.notes.length ? el('ul', { class: 'draft-notes small' }, draft.notes.map((n) => el('li', {}, n.message))) : null,
      el('div', { class: 'row' },
        el('button', { type: 'button', class: 'button small primary', onclick: () => apply(draft.text, true) }, 'Replace the text'),
        el('button', { type: 'button', class: 'button small', onclick: () => apply(draft.text, false) }, 'Insert at the cursor')));
  }

  async function write(more) {
    const button = more ? $('#ai-more') : $('#ai-write');
    const error = $('#ai-error');
    error.hidden = true;
    button.disabled = true;
    const was = button.textContent;
    button.textContent = 'Writing…';
    try {
      const answer = await api('POST', `/campaigns/${id}/design/suggestions`, { brief, design: design(), earlier: more ? shown.slice(-50) : [] });
      if (!more) {
        shown.length = 0;
        $('#ai-drafts').replaceChildren();
      }
      for (const draft of answer.drafts) {
        shown.push(draft.text);
        $('#ai-drafts').append(card(draft));
      }
      const dropped = answer.dropped.map((d) => `${label(d.reason)}: ${d.message}`);
      $('#ai-dropped').textContent = [
        answer.drafts.length ? '' : 'No draft fitted this time.',
        dropped.length ? `Left out, not fitting: ${dropped.join('; ')}.` : '',
      ].filter(Boolean).join(' ');
      $('#ai-more').hidden = false;
    } catch (failure) {
      error.textContent = failure.field ? `${label(failure.field)}: ${failure.message}` : failure.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
      button.textContent = was;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const f = form.elements;
    brief = {
      offer: f.offer.value,
      goal: f.goal.value,
      tone: f.tone.value,
      language: f.language.value,
      count: Number(f.count.value),
      link: f.link.value.trim() || undefined,
      encoding: f.gsm7.checked ? 'gsm7' : 'any',
      emoji: f.emoji.checked,
    };
    write(false);
  });
  $('#ai-more').addEventListener('click', () => write(true));
  // Emoji are not GSM-7: ticking one unticks the other.
  form.elements.emoji.addEventListener('change', () => { if (form.elements.emoji.checked) form.elements.gsm7.checked = false; });
  form.elements.gsm7.addEventListener('change', () => { if (form.elements.gsm7.checked) form.elements.emoji.checked = false; });
}

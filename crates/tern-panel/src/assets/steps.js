// The wizard's Segments, Rules, Goals and Launch steps: saved through the API.
import { $, $$, api, el, problemList, toast, label, pageData, debounce, showStepState, guardUnsaved } from './panel.js';

const page = pageData('wizard-data');
const id = page.campaign.id;
const form = $('#step-form');
const problemsBox = $('#step-problems');

const unsaved = guardUnsaved(form);

async function save(content) {
  const view = await api('PUT', `/campaigns/${id}/steps/${page.step}`, content);
  unsaved.saved();
  problemsBox.replaceChildren(view.problems.length ? problemList(view.problems) : '');
  showStepState(view);
  return view;
}

/** Asks before launching, with the recipients and the cost as the estimate states them. */
function confirmLaunch() {
  const dialog = $('#confirm-launch');
  const estimate = page.data.check?.estimate;
  if (page.campaign.type !== 'single') {
    const end = form.elements.end_at?.value;
    const until = end ? `, until ${end.replace('T', ' ')} (${page.data.timezone})` : '';
    const what = page.campaign.type === 'cart_reminder' ? 'carts are left' : 'contacts subscribe';
    $('#confirm-text').textContent = `It becomes active now and sends as ${what} from now on${until}. Nothing received before is messaged.`;
  } else {
    const when = form.elements.when.value === 'later' ? `at ${form.elements.send_at.value.replace('T', ' ')} (${page.data.timezone})` : 'now';
    const unpriced = estimate?.cost?.unpriced?.length ? ` (without ${estimate.cost.unpriced.join(', ')}: no price set)` : '';
    const cost = estimate?.cost?.total ? `, for about ${estimate.cost.total} ${estimate.cost.currency}${unpriced}` : '';
    $('#confirm-text').textContent = estimate
      ? `It will be sent ${when} to ${estimate.recipients} recipients (${estimate.messages.sms} SMS, ${estimate.messages.mms} MMS${estimate.sms_segments ? `, ${estimate.sms_segments} SMS segments` : ''})${cost}.`
      : `It will be sent ${when}.`;
  }
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'launch'), { once: true });
    dialog.returnValue = ''; // Escape keeps the last value: a failed launch must not repeat
    dialog.showModal();
  });
}

function numberOrNull(name) {
  const value = form.elements[name]?.value.trim();
  return value ? Number(value) : null;
}

const collect = {
  segments() {
    const include = [];
    const exclude = [];
    for (const input of $$('input[data-segment]:checked', form)) {
      if (input.value === 'include') include.push(input.dataset.segment);
      if (input.value === 'exclude') exclude.push(input.dataset.segment);
    }
    return { include, exclude };
  },
  rules() {
    const content = { delay_minutes: numberOrNull('delay_minutes') ?? 0 };
    if (page.campaign.type === 'cart_reminder') {
      content.min_cart_value = numberOrNull('min_cart_value');
      content.per_contact_days = numberOrNull('per_contact_days');
      content.lateness_hours = numberOrNull('lateness_hours');
      const ids = form.elements.product_ids?.value ?? '';
      content.product_ids = ids.split(',').map((id) => id.trim()).filter((id) => id !== '');
    }
    return content;
  },
  goals() {
    const content = { event: form.elements.event.value.trim(), window_hours: numberOrNull('window_hours') ?? 72 };
    const revenue = form.elements.revenue_property.value.trim();
    if (revenue) content.revenue_property = revenue;
    return content;
  },
  launch() {
    const content = {
      quiet_hours: { allowed_from: form.elements.allowed_from.value, allowed_until: form.elements.allowed_until.value },
    };
    // A Single campaign is sent once, now or later; a triggered one is active until an end date.
    if (form.elements.when) {
      content.send_at = form.elements.when.value === 'later' ? form.elements.send_at.value : 'now';
    } else if (form.elements.end_at.value) {
      content.end_at = form.elements.end_at.value;
    }
    const throttle = numberOrNull('throttle');
    if (throttle) content.throttle = throttle;
    const holdout = numberOrNull('holdout_percent');
    if (holdout) content.holdout_percent = holdout;
    return content;
  },
};

async function showReach() {
  const box = $('#reach');
  if (!box) return;
  const { include } = collect.segments();
  if (!include.length) {
    box.replaceChildren(el('h2', {}, 'Reachable'), el('p', { class: 'muted' }, 'Include a segment to see who can be reached.'));
    return;
  }
  try {
    const estimate = await api('GET', `/campaigns/${id}/audience`);
    const skipped = Object.entries(estimate.skipped).filter(([, n]) => n > 0);
    box.replaceChildren(
      el('h2', {}, 'Reachable'),
      el('p', { class: 'count' }, el('strong', { id: 'reachable' }, estimate.recipients), ` of ${estimate.audience} contacts`),
      skipped.length ? el('ul', { class: 'reasons' }, skipped.map(([reason, n]) => el('li', {}, `${label(reason)}: `, el('strong', {}, n)))) : el('p', { class: 'muted' }, 'Nobody excluded.'),
    );
  } catch (error) {
    box.replaceChildren(el('h2', {}, 'Reachable'), el('p', { class: 'alert error' }, error.message));
  }
}

if (page.step === 'segments') {
  const changed = debounce(async () => {
    try {
      await save(collect.segments());
      await showReach();
    } catch (error) {
      toast(error.message, 'error');
    }
  }, 250);
  form.addEventListener('change', changed);
  showReach();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const action = event.submitter?.value;
  try {
    const view = await save(collect[page.step]());
    if (page.step === 'launch') {
      if (action !== 'launch') {
        location.reload();
        return;
      }
      if (!view.complete) return;
      // Not yet: the schedule was saved, so the check above is shown again as it now stands.
      if (!(await confirmLaunch())) {
        location.reload();
        return;
      }
      event.submitter.disabled = true;
      await api('POST', `/campaigns/${id}/launch`);
      location.assign(`/campaigns/${id}`);
      return;
    }
    if (!view.complete) {
      toast('Saved; this step still has something to fix.', 'warn');
      return;
    }
    location.assign(page.next ? `/campaigns/${id}/steps/${page.next}` : `/campaigns/${id}`);
  } catch (error) {
    problemsBox.replaceChildren(el('p', { class: 'alert error', role: 'alert' }, error.message));
    if (event.submitter) event.submitter.disabled = false;
  }
});

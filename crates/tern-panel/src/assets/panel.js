// Shared by every page: calls to the JSON API with the session's CSRF token, and small helpers.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

/** An API failure, with the API's stable code, message and problems. */
export class ApiFailure extends Error {
  constructor(status, error) {
    super(error?.message ?? `request failed (${status})`);
    this.status = status;
    this.code = error?.code;
    this.field = error?.field;
    this.problems = error?.problems ?? [];
  }
}

/** Calls `/api/v1` + `path`; `body` is JSON, or FormData for uploads. */
export async function api(method, path, body, extraHeaders = {}) {
  const headers = { 'x-csrf-token': csrf, accept: 'application/json', ...extraHeaders };
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`/api/v1${path}`, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiFailure(response.status, json?.error);
  return json;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** An element with text content only: nothing given here is ever parsed as HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === false || value === undefined || value === null) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

let toastTimer;
/** A short message in the page's live region. */
export function toast(message, kind = 'ok') {
  const box = $('#toast');
  if (!box) return;
  box.textContent = message;
  box.className = `toast show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.className = 'toast'; }, 4000);
}

/** Calls `fn` at most once per `ms`, with the last arguments. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export const words = (name) => name.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());

/** What a marketer reads for each stable code the API answers, from the page (one list, kept
 * beside the templates' `label` filter). */
const LABELS = JSON.parse(document.getElementById('labels')?.textContent ?? '{}');

/** A stable code (`no_sender`, `send_at`, `include[0]`) in a marketer's words. */
export function label(code) {
  if (!code) return '';
  const base = String(code).replace(/\[\d+\].*$/, '');
  return LABELS[code] ?? LABELS[base] ?? words(String(code));
}

/** A list of problems, each with its field. */
export function problemList(problems) {
  return el('ul', { class: 'problems' }, problems.map((p) => el('li', {}, p.field ? el('strong', {}, label(p.field)) : null, p.field ? ': ' : '', p.message)));
}

export function pageData(id) {
  return JSON.parse($(`#${id}`).textContent);
}

/** Shows a saved step's new state in the step bar, without a reload. */
export function showStepState(view) {
  const item = document.querySelector(`.stepbar li[data-step="${view.step}"]`);
  if (!item) return;
  const started = view.content !== null && view.content !== undefined;
  item.classList.toggle('complete', view.complete);
  item.classList.toggle('attention', !view.complete && started);
  item.querySelector('.dot').textContent = view.complete ? '✓' : item.dataset.index;
  item.querySelector('.state').textContent = view.complete ? 'Complete'
    : started ? `${view.problems.length} to fix` : 'Not started';
}

/** Warns before leaving a page whose form has changes not saved yet. */
export function guardUnsaved(form) {
  let dirty = false;
  form.addEventListener('input', () => { dirty = true; });
  form.addEventListener('change', () => { dirty = true; });
  window.addEventListener('beforeunload', (event) => {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = '';
  });
  return { saved() { dirty = false; }, get dirty() { return dirty; } };
}

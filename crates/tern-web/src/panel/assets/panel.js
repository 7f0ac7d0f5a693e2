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
export async function api(method, path, body) {
  const headers = { 'x-csrf-token': csrf, accept: 'application/json' };
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

/** A list of problems, each with its field. */
export function problemList(problems) {
  return el('ul', { class: 'problems' }, problems.map((p) => el('li', {}, p.field ? el('code', {}, p.field) : null, p.field ? ': ' : '', p.message)));
}

export function pageData(id) {
  return JSON.parse($(`#${id}`).textContent);
}

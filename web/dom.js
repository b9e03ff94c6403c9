// dom.js - building the page without innerHTML: every value from the API
// goes in as text.
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const k of kids) {
    if (k === undefined || k === null || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

export function main() { return document.getElementById('main'); }

// Replaces the main area; focuses its first heading for screen readers.
export function show(...kids) {
  const m = clear(main());
  append(m, kids);
  const h1 = m.querySelector('h1');
  if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); }
}

// A show() bound to the current URL: a page whose data arrives after the
// user has moved on (a slow answer for an older URL) draws nothing.
export function view() {
  const at = location.href;
  return (...kids) => { if (location.href === at) show(...kids); };
}

export function toast(msg, bad) {
  const t = document.getElementById('toast');
  t.textContent = msg;
  t.className = bad ? 'toast show bad' : 'toast show';
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.className = 'toast'; }, 4000);
}

// A labelled form field: label + control sharing an id.
let seq = 0;
export function field(label, control, hint) {
  const id = control.id || `f${++seq}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), control,
    hint ? h('small', { class: 'muted', text: hint }) : null);
}

export function select(name, options, value) {
  return h('select', { name }, options.map(([v, label]) =>
    h('option', { value: v, selected: String(v) === String(value ?? '') ? true : null, text: label })));
}

// Search snippets mark matches with <mark>; everything else is text.
export function snippet(s) {
  const dec = (t) => t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  const parts = String(s || '').split(/<\/?mark>/);
  return h('span', {}, parts.map((p, i) => (i % 2 ? h('mark', { text: dec(p) }) : dec(p))));
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtDuration(sec) {
  const neg = sec < 0;
  let s = Math.abs(Math.round(sec));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const mm = Math.floor(s / 60); s -= mm * 60;
  const pad = (n) => String(n).padStart(2, '0');
  const out = d ? `${d}d ${pad(hh)}h ${pad(mm)}m` : `${hh}h ${pad(mm)}m ${pad(s)}s`;
  return neg ? `-${out}` : out;
}

// sla.js - live SLA countdown badges computed in the browser from the
// ticket's `sla` object: the running clock due soonest counts down every
// second; a clock past due shows how long ago it breached.
import { h, fmtDuration } from './dom.js';

const NAMES = { first_response: 'First response', next_update: 'Next update', resolution: 'Resolution' };

// The clock a badge shows: the running one due soonest, else the latest breach.
export function urgentClock(sla) {
  if (!sla) return null;
  let best = null;
  for (const [name, c] of Object.entries(sla)) {
    if (!c || typeof c !== 'object' || !NAMES[name]) continue;
    if (c.state === 'running' && c.due_at) {
      const due = Date.parse(c.due_at);
      if (!best || best.kind !== 'due' || due < best.at) best = { kind: 'due', name, at: due, clock: c };
    }
  }
  if (best) return best;
  for (const [name, c] of Object.entries(sla)) {
    if (!c || typeof c !== 'object' || !NAMES[name]) continue;
    if (c.state === 'breached' && c.breached_at) {
      const at = Date.parse(c.breached_at);
      if (!best || at > best.at) best = { kind: 'breached', name, at, clock: c };
    }
  }
  if (best) return best;
  for (const [name, c] of Object.entries(sla)) {
    if (c && typeof c === 'object' && NAMES[name] && c.state === 'paused') return { kind: 'paused', name, clock: c };
  }
  return null;
}

export function badge(sla) {
  const u = urgentClock(sla);
  const el = h('span', { class: 'sla-badge' });
  if (!u) { el.textContent = 'no SLA'; el.classList.add('sla-none'); return el; }
  el.dataset.label = NAMES[u.name];
  if (u.kind === 'paused') { el.textContent = `${NAMES[u.name]} paused`; el.classList.add('sla-paused'); return el; }
  el.dataset.at = String(u.at);
  el.dataset.kind = u.kind;
  if (u.clock.target_s) el.dataset.target = String(u.clock.target_s);
  paint(el, Date.now());
  return el;
}

function paint(el, now) {
  const at = Number(el.dataset.at);
  const left = (at - now) / 1000;
  el.classList.remove('sla-ok', 'sla-risk', 'sla-breached');
  if (el.dataset.kind === 'due' && left > 0) {
    const target = Number(el.dataset.target || 0);
    el.classList.add(target && left < target * 0.25 ? 'sla-risk' : 'sla-ok');
    el.textContent = `${el.dataset.label} due in ${fmtDuration(left)}`;
  } else {
    el.classList.add('sla-breached');
    el.textContent = `${el.dataset.label} breached ${fmtDuration(-left)} ago`;
  }
}

// Counts every badge on the page down once a second.
export function startTicking() {
  if (startTicking.timer) return;
  startTicking.timer = setInterval(() => {
    const now = Date.now();
    for (const el of document.querySelectorAll('.sla-badge[data-at]')) paint(el, now);
  }, 1000);
}

// A countdown to any instant (incident next update due).
export function dueBadge(iso, label) {
  const el = h('span', { class: 'sla-badge' });
  if (!iso) { el.textContent = '—'; el.classList.add('sla-none'); return el; }
  el.dataset.at = String(Date.parse(iso));
  el.dataset.kind = 'due';
  el.dataset.label = label;
  paint(el, Date.now());
  return el;
}

// sla.js - live SLA countdown badges computed in the browser from the
// ticket's `sla` object: the running clock due soonest counts down every
// second; a clock past due shows how long ago it breached.
import { h, fmtDuration } from './dom.js';

const NAMES = { first_response: 'First response', next_update: 'Next update', resolution: 'Resolution' };

// The clock a badge shows: the ticket's urgency as the server defines it
// (sla.urgency, docs/metrics.md "Urgency"), the same one the queues are
// ordered by: an unsettled breach (longest overdue first), else the running
// clock due soonest, else a paused clock.
export function urgentClock(sla) {
  const u = sla && sla.urgency;
  if (!u || !NAMES[u.clock]) return null;
  const clock = sla[u.clock] || {};
  if (u.state === 'paused') return { kind: 'paused', name: u.clock, clock };
  return { kind: u.state === 'breached' ? 'breached' : 'due', name: u.clock, at: Date.parse(u.at), clock };
}

// No clock is open: what the settled clocks say.
function settled(sla) {
  const cs = Object.entries(sla || {}).filter(([n, c]) => NAMES[n] && c && typeof c === 'object');
  if (!cs.length) return { text: 'no SLA', cls: 'sla-none' };
  if (cs.some(([, c]) => c.state === 'breached')) return { text: 'SLA breached', cls: 'sla-settled-breached' };
  return { text: 'SLA met', cls: 'sla-none' };
}

export function badge(sla) {
  const u = urgentClock(sla);
  const el = h('span', { class: 'sla-badge' });
  if (!u) { const st = settled(sla); el.textContent = st.text; el.classList.add(st.cls); return el; }
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

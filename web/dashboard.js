// dashboard.js - the support manager's dashboard: first response and
// resolution time trends, SLA attainment per target, backlog aging, volume
// by category and CSAT, from /api/v1/reports/kpis and /reports/backlog.
import { get, qs } from './api.js';
import { h, view, field, select } from './dom.js';
import { lineChart, barChart } from './charts.js';

const hours = (sec) => (sec === null || sec === undefined ? null : Math.round(sec / 360) / 10);
const pct = (v) => `${Math.round(v * 100)}%`;

const DAY = 86400e3;
const ymd = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
// "YYYY-MM-DD" as local midnight, or null
function localDay(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getDate() === Number(m[3]) ? d : null;
}

// The period of the URL: #days=N (a preset ending now) or #from=DAY&to=DAY
// (whole local days, both included). {from, to, days, custom, error}
function period(hash) {
  const q = new URLSearchParams((hash || '').replace(/^#\/?/, ''));
  if (q.has('from') || q.has('to')) {
    const a = localDay(q.get('from')), b = localDay(q.get('to'));
    if (!a || !b) return { error: 'Enter both dates as YYYY-MM-DD.' };
    const to = new Date(b.getFullYear(), b.getMonth(), b.getDate() + 1);
    if (to <= a) return { error: 'The end date is before the start date.' };
    const days = Math.round((to - a) / DAY);
    if (days > 3 * 366) return { error: 'Choose at most three years.' };
    return { from: a, to, days, custom: true };
  }
  const days = Number(q.get('days')) || 42;
  const to = new Date();
  return { from: new Date(to.getTime() - days * DAY), to, days, custom: false };
}

export async function render(hash) {
  const show = view();
  const per = period(hash);
  const presets = [[7, 'last 7 days'], [42, 'last 6 weeks'], [90, 'last 90 days'], [365, 'last year'], ['custom', 'custom dates']];
  const choice = select('days', presets, per.error || per.custom ? 'custom' : per.days);
  const fromIn = h('input', { type: 'date', name: 'from', value: per.from ? ymd(per.from) : '' });
  const toIn = h('input', { type: 'date', name: 'to', value: per.to ? ymd(new Date(per.to.getTime() - (per.custom ? DAY : 0))) : '' });
  const form = h('form', { class: 'toolbar' }, field('Period', choice), field('From', fromIn), field('To', toIn),
    h('button', { type: 'submit', text: 'Show' }));
  // editing a date means a custom range
  for (const el of [fromIn, toIn]) el.addEventListener('change', () => { choice.value = 'custom'; });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = choice.value === 'custom' ? `#from=${fromIn.value}&to=${toIn.value}` : `#days=${choice.value}`;
  });
  if (per.error) {
    show(h('h1', { text: 'Support dashboard' }), form, h('p', { class: 'error', role: 'alert', text: per.error }));
    return;
  }
  const { from, to, days } = per;
  const bucket = days <= 14 ? 'day' : days <= 120 ? 'week' : 'month';
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const base = { from: from.toISOString(), to: to.toISOString() };
  show(h('h1', { text: 'Support dashboard' }), form, h('p', { class: 'muted', text: 'Loading reports…' }));
  let series, total, bycat, backlog;
  try {
    [series, total, bycat, backlog] = await Promise.all([
      get(`/api/v1/reports/kpis${qs({ ...base, bucket, tz })}`).catch(() => get(`/api/v1/reports/kpis${qs({ ...base, bucket })}`)),
      get(`/api/v1/reports/kpis${qs(base)}`),
      get(`/api/v1/reports/kpis${qs({ ...base, group_by: 'category' })}`),
      get('/api/v1/reports/backlog'),
    ]);
  } catch (e) {
    show(h('h1', { text: 'Support dashboard' }), form, h('p', { class: 'error', text: e.message }));
    return;
  }
  const labels = series.buckets.map((b) => b.from.slice(5, 10));
  const k = total.kpis;
  const tiles = h('div', { class: 'tiles' },
    tile('Created', k.volume.created), tile('Solved', k.volume.solved),
    tile('Median first response', k.frt.median_s === null ? '—' : `${hours(k.frt.median_s)} h`),
    tile('Median resolution', k.ttr.median_s === null ? '—' : `${hours(k.ttr.median_s)} h`),
    tile('CSAT', k.csat.mean === null ? '—' : `${k.csat.mean} / 5 (${k.csat.count})`),
    tile('Open backlog', backlog.backlog_aging.total));
  const sla = k.sla_attainment;
  const ages = ['<1d', '1-3d', '3-7d', '7-14d', '>=14d'];
  const cats = (bycat.groups || []).map((g) => ({ label: g.key === null ? 'none' : g.key, value: g.kpis.volume.created }));
  show(h('h1', { text: 'Support dashboard' }), form,
    h('p', { class: 'muted', text: `${ymd(from)} to ${ymd(new Date(to.getTime() - 1))}, by ${bucket}` }), tiles,
    h('div', { class: 'charts' },
      panel('First response and resolution time (median, hours)', 'chart-trend', lineChart('Median first response and resolution time in hours', labels, [
        { name: 'First response (h)', values: series.buckets.map((b) => hours(b.kpis.frt.median_s)) },
        { name: 'Resolution (h)', values: series.buckets.map((b) => hours(b.kpis.ttr.median_s)) }])),
      panel('SLA attainment per target', 'chart-sla', barChart('SLA attainment per target', [
        { label: 'First response', value: sla.first_response.rate ?? 0 },
        { label: 'Next update', value: sla.next_update.rate ?? 0 },
        { label: 'Resolution', value: sla.resolution.rate ?? 0 }], pct, 1)),
      panel('Backlog aging (open cases by age)', 'chart-backlog', barChart('Open cases by age', ages.map((a) => ({ label: a, value: backlog.backlog_aging[a] })))),
      panel('Volume by category (created)', 'chart-volume', barChart('Cases created by category', cats)),
      panel('CSAT (mean score per bucket)', 'chart-csat', lineChart('Mean CSAT score per bucket', labels, [
        { name: 'CSAT mean (1-5)', values: series.buckets.map((b) => b.kpis.csat.mean) }], (v) => (Math.round(v * 10) / 10).toString()))));
}

function tile(label, value) {
  return h('div', { class: 'tile' }, h('span', { class: 'tile-label', text: label }), h('strong', { text: String(value) }));
}

function panel(title, id, chart) {
  return h('section', { class: 'card chart-card', id, 'aria-label': title }, h('h2', { text: title }), chart);
}

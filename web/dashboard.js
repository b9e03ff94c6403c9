// dashboard.js - the support manager's dashboard: first response and
// resolution time trends, SLA attainment per target, backlog aging, volume
// by category and CSAT, from /api/v1/reports/kpis and /reports/backlog.
import { get, qs } from './api.js';
import { h, view, field, select } from './dom.js';
import { lineChart, barChart } from './charts.js';

const hours = (sec) => (sec === null || sec === undefined ? null : Math.round(sec / 360) / 10);
const pct = (v) => `${Math.round(v * 100)}%`;

export async function render(hash) {
  const show = view();
  const days = Number(new URLSearchParams((hash || '').replace(/^#\/?/, '')).get('days')) || 42;
  const period = select('days', [[7, 'last 7 days'], [42, 'last 6 weeks'], [90, 'last 90 days'], [365, 'last year']], days);
  const form = h('form', { class: 'toolbar' }, field('Period', period), h('button', { type: 'submit', text: 'Show' }));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); location.hash = `#days=${period.value}`; });
  const to = new Date();
  const from = new Date(to.getTime() - days * 86400e3);
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
    h('p', { class: 'muted', text: `${from.toISOString().slice(0, 10)} to ${to.toISOString().slice(0, 10)}, by ${bucket}` }), tiles,
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

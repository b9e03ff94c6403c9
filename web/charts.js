// charts.js - small SVG charts drawn here (no chart library): a line chart
// of one or more series over buckets and a bar chart of labelled values.
// Each chart carries a title and a text description for screen readers.
const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs, ...kids) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const k of kids) if (k !== null && k !== undefined) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return el;
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const W = 560, H = 240, L = 52, R = 12, T = 14, B = 40;

function frame(title, desc) {
  const id = `c${Math.random().toString(36).slice(2, 8)}`;
  return s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': `${id}t ${id}d`, class: 'chart' },
    s('title', { id: `${id}t` }, title), s('desc', { id: `${id}d` }, desc));
}

function axes(svg, max, fmt) {
  for (let i = 0; i <= 4; i++) {
    const y = T + (H - T - B) * (1 - i / 4);
    svg.append(s('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'grid' }),
      s('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' }, fmt(max * i / 4)));
  }
}

// series: [{name, values: [number|null]}]; labels: one per bucket.
export function lineChart(title, labels, series, fmt = (v) => String(v)) {
  const all = series.flatMap((x) => x.values).filter((v) => v !== null && v !== undefined);
  const max = niceMax(Math.max(0, ...all));
  const desc = series.map((x) => `${x.name}: ${x.values.map((v, i) => `${labels[i]} ${v === null ? 'none' : fmt(v)}`).join(', ')}`).join('; ');
  const svg = frame(title, desc);
  axes(svg, max, fmt);
  const n = labels.length;
  const xAt = (i) => L + (n <= 1 ? (W - L - R) / 2 : (W - L - R) * i / (n - 1));
  const yAt = (v) => T + (H - T - B) * (1 - v / max);
  const step = Math.max(1, Math.ceil(n / 8));
  labels.forEach((lab, i) => { if (i % step === 0) svg.append(s('text', { x: xAt(i), y: H - B + 16, 'text-anchor': 'middle', class: 'tick' }, lab)); });
  series.forEach((x, k) => {
    let d = '';
    let pen = false;
    x.values.forEach((v, i) => {
      if (v === null || v === undefined) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${xAt(i).toFixed(1)},${yAt(v).toFixed(1)} `;
      pen = true;
    });
    if (d) svg.append(s('path', { d: d.trim(), class: `line s${k}` }));
    x.values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      svg.append(s('circle', { cx: xAt(i), cy: yAt(v), r: 3.5, class: `dot s${k}` }, s('title', {}, `${x.name} ${labels[i]}: ${fmt(v)}`)));
    });
  });
  const legend = s('g', { class: 'legend' });
  series.forEach((x, k) => legend.append(s('rect', { x: L + k * 170, y: H - 14, width: 12, height: 4, class: `s${k}` }),
    s('text', { x: L + k * 170 + 16, y: H - 9, class: 'tick' }, x.name)));
  svg.append(legend);
  return svg;
}

// bars: [{label, value}]
export function barChart(title, bars, fmt = (v) => String(v), maxValue) {
  const max = maxValue || niceMax(Math.max(0, ...bars.map((b) => b.value || 0)));
  const svg = frame(title, bars.map((b) => `${b.label}: ${fmt(b.value || 0)}`).join(', '));
  axes(svg, max, fmt);
  const n = Math.max(1, bars.length);
  const slot = (W - L - R) / n;
  const bw = Math.min(48, slot * 0.7);
  const tilted = bars.some((b) => b.label.length * 6.5 > slot); // long labels are tilted
  bars.forEach((b, i) => {
    const v = b.value || 0;
    const hgt = (H - T - B) * v / max;
    const x = L + slot * i + (slot - bw) / 2;
    svg.append(s('rect', { x, y: T + (H - T - B) - hgt, width: bw, height: Math.max(0, hgt), class: 'bar' },
      s('title', {}, `${b.label}: ${fmt(v)}`)),
    tilted ? s('text', { x: x + bw / 2, y: H - B + 12, 'text-anchor': 'end', class: 'tick',
      transform: `rotate(-30 ${x + bw / 2} ${H - B + 12})` }, b.label.length > 10 ? `${b.label.slice(0, 9)}…` : b.label)
      : s('text', { x: x + bw / 2, y: H - B + 16, 'text-anchor': 'middle', class: 'tick' }, b.label));
  });
  return svg;
}

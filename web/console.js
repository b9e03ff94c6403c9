// console.js - the agent console: queues with live SLA badges and keyboard
// navigation, the ticket page (timeline, reply / internal note, field
// changes, macros, knowledge suggestions, escalation), the incident board
// and account pages. Sub-pages: #/queue/NAME, #/ticket/ID, #/incidents,
// #/account/ID.
import { get, post, patch, qs, ApiError } from './api.js';
import { h, view, field, select, toast, snippet, fmtTime, clear } from './dom.js';
import { badge, dueBadge } from './sla.js';

const QUEUES = [['mine', 'Mine'], ['unassigned', 'Unassigned'], ['at_risk', 'At risk'],
  ['breached', 'Breached'], ['all_open', 'All open']];
const STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'];
const PRIORITIES = ['P1', 'P2', 'P3', 'P4'];
let keyHandler = null;

export function render(hash) {
  if (keyHandler) { document.removeEventListener('keydown', keyHandler); keyHandler = null; }
  const parts = (hash || '').replace(/^#\/?/, '').split('/');
  const shown = view();
  const fail = (e) => shown(h('h1', { text: 'Something went wrong' }), h('p', { class: 'error', text: e.message }));
  if (parts[0] === 'ticket' && parts[1]) ticketPage(parts[1]).catch(fail);
  else if (parts[0] === 'incidents') incidentsPage().catch(fail);
  else if (parts[0] === 'account' && parts[1]) accountPage(parts[1]).catch(fail);
  else queuePage(QUEUES.some(([q]) => q === parts[1]) ? parts[1] : 'mine').catch(fail);
}

function notFound(show, what) {
  show(h('h1', { text: `${what} not found` }),
    h('p', { class: 'notfound', text: `There is no such ${what.toLowerCase()}, or you cannot see it.` }));
}

// ---- tickets table with keyboard navigation ----
function ticketTable(items, caption) {
  const rows = items.map((t) => h('tr', { tabindex: '-1', 'data-id': t.id, class: 'row', 'aria-selected': 'false' },
    h('td', {}, h('a', { href: `#/ticket/${t.id}`, text: `#${t.id}` })),
    h('td', { class: 'subject', text: t.subject }),
    h('td', {}, h('span', { class: `prio prio-${t.priority}`, text: t.priority })),
    h('td', {}, h('span', { class: `status status-${t.status}`, text: t.status })),
    h('td', { text: t.account ? t.account.name : '—' }),
    h('td', { text: t.assignee ? t.assignee.name || t.assignee.email : 'unassigned' }),
    h('td', {}, badge(t.sla))));
  const table = h('table', { class: 'tickets' },
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {}, ['Case', 'Subject', 'Priority', 'Status', 'Account', 'Assignee', 'SLA']
      .map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, rows));
  let cur = -1;
  const select_ = (i) => {
    if (!rows.length) return;
    cur = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, k) => r.setAttribute('aria-selected', k === cur ? 'true' : 'false'));
    rows[cur].focus();
  };
  const handler = (ev) => {
    if (!table.isConnected) { document.removeEventListener('keydown', handler); return; } // a page drawn for an older URL
    const tag = (ev.target.tagName || '').toLowerCase();
    if (['input', 'textarea', 'select'].includes(tag) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === 'j' || ev.key === 'ArrowDown') { ev.preventDefault(); select_(cur + 1); }
    else if (ev.key === 'k' || ev.key === 'ArrowUp') { ev.preventDefault(); select_(cur - 1); }
    else if (ev.key === 'Enter' && cur >= 0 && ev.target.tagName !== 'A' && ev.target.tagName !== 'BUTTON') {
      ev.preventDefault();
      location.hash = `#/ticket/${rows[cur].dataset.id}`;
    }
  };
  if (keyHandler) document.removeEventListener('keydown', keyHandler);
  keyHandler = handler;
  document.addEventListener('keydown', handler);
  return table;
}

async function queuePage(name) {
  const show = view();
  const data = await get(`/api/v1/views/${name}/tickets?limit=100`);
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Queues' }, QUEUES.map(([q, label]) =>
    h('a', { href: `#/queue/${q}`, 'aria-current': q === name ? 'page' : null, text: label })));
  show(h('h1', { text: `Queue: ${QUEUES.find(([q]) => q === name)[1]}` }), tabs,
    h('p', { class: 'muted', text: 'j / k or the arrow keys move, Enter opens.' }),
    data.items.length ? ticketTable(data.items, `${data.items.length} cases, most urgent first`)
      : h('p', { class: 'empty', text: 'Nothing in this queue.' }));
}

// ---- ticket page ----
async function ticketPage(id) {
  const show = view();
  let t;
  try { t = await get(`/api/v1/tickets/${encodeURIComponent(id)}`); } catch (e) {
    if (e instanceof ApiError && e.status === 404) { notFound(show, 'Case'); return; }
    throw e;
  }
  const [events, users, groups, macros, atts] = await Promise.all([
    get(`/api/v1/tickets/${t.id}/events?limit=500`),
    get('/api/v1/users?limit=500').catch(() => ({ items: [] })),
    get('/api/v1/groups?limit=500').catch(() => ({ items: [] })),
    get('/api/v1/macros?limit=500').catch(() => ({ items: [] })),
    get(`/api/v1/tickets/${t.id}/attachments`).catch(() => ({ items: [] })),
  ]);
  const staff = users.items.filter((u) => u.role !== 'customer');
  const reload = () => ticketPage(t.id);

  // fields
  const st = select('status', STATUSES.map((s) => [s, s]), t.status);
  const pr = select('priority', PRIORITIES.map((p) => [p, p]), t.priority);
  const as = select('assignee', [['', 'unassigned'], ...staff.map((u) => [u.id, u.name || u.email])], t.assignee && t.assignee.id);
  const gr = select('group', [['', 'no group'], ...groups.items.map((g) => [g.id, g.name])], t.group && t.group.id);
  const fields = h('form', { class: 'card', 'aria-labelledby': 'props-h' },
    h('h2', { id: 'props-h', text: 'Properties' }),
    h('div', { class: 'grid4' }, field('Status', st), field('Priority', pr), field('Assignee', as), field('Group', gr)),
    h('button', { type: 'submit', text: 'Save changes' }));
  fields.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    if (st.value !== t.status) body.status = st.value;
    if (pr.value !== t.priority) body.priority = pr.value;
    if (as.value !== String(t.assignee ? t.assignee.id : '')) body.assignee = as.value ? Number(as.value) : null;
    if (gr.value !== String(t.group ? t.group.id : '')) body.group = gr.value ? Number(gr.value) : null;
    if (!Object.keys(body).length) { toast('Nothing changed'); return; }
    try { await patch(`/api/v1/tickets/${t.id}`, body); toast('Saved'); reload(); } catch (e) { toast(e.message, true); }
  });

  // composer: public reply vs internal note
  const text = h('textarea', { name: 'body', rows: '5', required: true });
  const composer = h('form', { class: 'card composer', 'aria-labelledby': 'comp-h' },
    h('h2', { id: 'comp-h', text: 'Respond' }), field('Message', text),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', name: 'public', value: '1', class: 'primary reply-btn', text: 'Send public reply' }),
      h('button', { type: 'submit', name: 'internal', value: '0', class: 'note-btn', text: 'Add internal note' })));
  composer.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const pub = !ev.submitter || ev.submitter.name === 'public';
    if (!text.value.trim()) { toast('Write a message first', true); text.focus(); return; }
    try {
      await post(`/api/v1/tickets/${t.id}/comments`, { body: text.value, public: pub });
      toast(pub ? 'Reply sent' : 'Note added');
      reload();
    } catch (e) { toast(e.message, true); }
  });

  show(h('h1', {}, `#${t.id} `, t.subject),
    h('p', { class: 'meta' },
      h('span', { class: `status status-${t.status}`, text: t.status }), ' ',
      h('span', { class: `prio prio-${t.priority}`, text: t.priority }), ' ', badge(t.sla), ' · ',
      t.account ? h('a', { href: `#/account/${t.account.id}`, text: t.account.name }) : 'no account',
      ' · requester ', t.requester ? t.requester.email : '—'),
    h('div', { class: 'cols' },
      h('div', { class: 'col-main' },
        h('section', { class: 'card', 'aria-labelledby': 'desc-h' }, h('h2', { id: 'desc-h', text: 'Description' }),
          h('p', { class: 'pre', text: t.description })),
        composer, timeline(events.items),
        atts.items.length ? h('section', { class: 'card', 'aria-labelledby': 'att-h' }, h('h2', { id: 'att-h', text: 'Attachments' }),
          h('ul', { class: 'plain' }, atts.items.map((a) => h('li', {},
            h('a', { href: `/api/v1/attachments/${a.id}`, download: a.filename, text: a.filename }),
            ` (${a.content_type}, ${a.size} bytes, comment ${a.comment ?? '—'})`)))) : null),
      h('div', { class: 'col-side' }, fields, macroPanel(t, macros.items, reload),
        suggestionsPanel(t, reload), escalationPanel(t, groups.items, reload))));
}

function timeline(events) {
  const items = events.map((e) => {
    const who = e.actor ? e.actor.name || e.actor.email : 'system';
    if (e.type === 'comment') {
      const pub = e.data.public;
      return h('li', { class: pub ? 'ev comment public' : 'ev comment internal' },
        h('div', { class: 'ev-head' },
          h('span', { class: pub ? 'tag tag-public' : 'tag tag-internal', text: pub ? 'Public reply' : 'Internal note' }),
          ` ${who} · `, h('time', { datetime: e.at, text: fmtTime(e.at) })),
        h('p', { class: 'pre', text: e.data.body }));
    }
    return h('li', { class: `ev ev-${e.type}` }, h('time', { datetime: e.at, text: fmtTime(e.at) }), ` ${who}: `, describe(e));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h', text: 'Timeline' }),
    h('ol', { class: 'timeline' }, items));
}

function describe(e) {
  const d = e.data || {};
  switch (e.type) {
    case 'created': return `created the case (${d.priority || ''})`;
    case 'status': return `status ${d.from} → ${d.to}`;
    case 'priority': return `priority ${d.from} → ${d.to}`;
    case 'assign': return 'assignment changed';
    case 'sla': return `SLA ${String(d.clock).replace('_', ' ')} ${d.kind}`;
    case 'article_linked': return `linked article “${d.title}”`;
    case 'escalation': return 'escalated';
    case 'incident':
      if (d.action === 'linked' || d.action === 'unlinked') return `${d.action} ${d.action === 'linked' ? 'to' : 'from'} incident ${d.incident ? '#' + d.incident : `“${d.incident_title}”`}`;
      return 'incident update';
    default: return e.type.replace(/_/g, ' ');
  }
}

function macroPanel(t, macros, reload) {
  const out = h('div', { class: 'preview', 'aria-live': 'polite' });
  const list = macros.map((m) => h('li', {},
    h('span', { class: 'macro-name', text: m.name }), ' ',
    h('button', { type: 'button', class: 'small', 'aria-label': `Preview macro ${m.name}`, text: 'Preview',
      onclick: async () => {
        try {
          const p = await get(`/api/v1/tickets/${t.id}/macros/${m.id}/preview`);
          clear(out).append(h('h3', { text: `Preview: ${m.name}` }),
            p.body ? h('p', { class: p.public === false ? 'pre internal' : 'pre', text: (p.public === false ? '[internal note] ' : '[public reply] ') + p.body }) : '',
            p.changes ? h('p', { class: 'muted', text: `Changes: ${JSON.stringify(p.changes)}` }) : '');
        } catch (e) { toast(e.message, true); }
      } }), ' ',
    h('button', { type: 'button', class: 'small primary', 'aria-label': `Apply macro ${m.name}`, text: 'Apply',
      onclick: async () => {
        try { await post(`/api/v1/tickets/${t.id}/macros/${m.id}`); toast(`Applied “${m.name}”`); reload(); } catch (e) { toast(e.message, true); }
      } })));
  return h('section', { class: 'card', 'aria-labelledby': 'mac-h' }, h('h2', { id: 'mac-h', text: 'Macros' }),
    list.length ? h('ul', { class: 'plain' }, list) : h('p', { class: 'muted', text: 'No macros yet.' }), out);
}

function suggestionsPanel(t, reload) {
  const box = h('section', { class: 'card', 'aria-labelledby': 'sug-h' }, h('h2', { id: 'sug-h', text: 'Knowledge suggestions' }),
    h('p', { class: 'muted', text: 'Loading…' }));
  Promise.all([get(`/api/v1/tickets/${t.id}/suggestions`), get(`/api/v1/tickets/${t.id}/articles`).catch(() => ({ items: [] }))])
    .then(([s, linked]) => {
      const have = new Set(linked.items.map((l) => (l.article && l.article.id) || l.article_id || l.article));
      box.lastChild.remove();
      if (!s.articles.length) { box.append(h('p', { class: 'muted', text: 'No matching articles.' })); return; }
      box.append(h('ul', { class: 'plain' }, s.articles.map((a) => h('li', {},
        h('strong', { text: a.title }), ' ', h('small', {}, snippet(a.snippet)), ' ',
        have.has(a.id) ? h('span', { class: 'tag', text: 'linked' })
          : h('button', { type: 'button', class: 'small', 'aria-label': `Link article ${a.title}`, text: 'Link',
            onclick: async () => {
              try { await post(`/api/v1/tickets/${t.id}/articles`, { article: a.id }); toast('Article linked'); reload(); } catch (e) { toast(e.message, true); }
            } })))));
    }).catch((e) => { box.lastChild.textContent = e.message; });
  return box;
}

// The escalation form scores its package as the agent types (debounced).
function escalationPanel(t, groups, reload) {
  const inp = (name, type) => h('input', { name, type: type || 'text' });
  const ta = (name) => h('textarea', { name, rows: '3' });
  const f = {
    summary: inp('summary'), observed: ta('observed'), expected: ta('expected'), steps: ta('steps'),
    hypotheses: ta('hypotheses'), versions: inp('versions'), region: inp('region'), tenant: inp('tenant'),
    request_ids: inp('request_ids'), timestamps: inp('timestamps'), accounts: inp('impact_accounts', 'number'),
    users: inp('impact_users', 'number'),
    tier: select('impact_tier', [['', '—'], ['enterprise', 'enterprise'], ['business', 'business'], ['standard', 'standard']], ''),
    rationale: ta('severity_rationale'),
  };
  const group = select('group', groups.map((g) => [g.id, g.name]), (groups.find((g) => /eng/i.test(g.name)) || groups[0] || {}).id);
  const score = h('output', { class: 'score', 'aria-live': 'polite', text: 'Score: – / 5' });
  const missing = h('p', { class: 'muted missing' });
  const lines = (s) => s.split('\n').map((x) => x.trim()).filter(Boolean);
  const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const pkg = () => {
    const p = {};
    if (f.summary.value.trim()) p.summary = f.summary.value.trim();
    if (f.observed.value.trim()) p.observed = f.observed.value.trim();
    if (f.expected.value.trim()) p.expected = f.expected.value.trim();
    if (f.steps.value.trim()) p.steps = lines(f.steps.value);
    if (f.hypotheses.value.trim()) p.hypotheses = lines(f.hypotheses.value);
    const env = {};
    if (f.versions.value.trim()) env.versions = f.versions.value.trim();
    if (f.region.value.trim()) env.region = f.region.value.trim();
    if (f.tenant.value.trim()) env.tenant = f.tenant.value.trim();
    if (Object.keys(env).length) p.environment = env;
    const art = {};
    if (f.request_ids.value.trim()) art.request_ids = list(f.request_ids.value);
    if (f.timestamps.value.trim()) art.timestamps = list(f.timestamps.value);
    if (Object.keys(art).length) p.artifacts = art;
    const imp = {};
    if (f.accounts.value !== '') imp.accounts = Number(f.accounts.value);
    if (f.users.value !== '') imp.users = Number(f.users.value);
    if (f.tier.value) imp.tier = f.tier.value;
    if (Object.keys(imp).length) p.impact = imp;
    if (f.rationale.value.trim()) p.severity_rationale = f.rationale.value.trim();
    return p;
  };
  let timer = null;
  let seq = 0;
  const rescore = async () => {
    const mine = ++seq;
    try {
      const r = await post('/api/v1/escalations/score', { ...pkg(), group: group.value ? Number(group.value) : undefined });
      if (mine !== seq) return;
      score.textContent = `Score: ${r.score} / ${r.max}`;
      score.dataset.score = String(r.score);
      missing.textContent = r.missing.length ? `Missing: ${r.missing.join(', ')}` : 'Complete.';
    } catch (e) { if (mine === seq) missing.textContent = e.message; }
  };
  const form = h('form', { class: 'escalation', 'aria-labelledby': 'esc-h' }, score, missing,
    field('Resolver group', group), field('Summary', f.summary), field('Observed', f.observed),
    field('Expected', f.expected), field('Steps to reproduce (one a line)', f.steps),
    field('Hypotheses tested (one a line)', f.hypotheses), field('Versions', f.versions),
    field('Region', f.region), field('Tenant', f.tenant),
    field('Request ids (comma-separated)', f.request_ids),
    field('Timestamps (RFC 3339, comma-separated)', f.timestamps),
    field('Accounts affected', f.accounts), field('Users affected', f.users), field('Tier affected', f.tier),
    field('Severity rationale', f.rationale),
    h('button', { type: 'submit', text: 'Escalate' }));
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(rescore, 300); });
  form.addEventListener('change', () => { clearTimeout(timer); timer = setTimeout(rescore, 300); });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post(`/api/v1/tickets/${t.id}/escalations`, { ...pkg(), group: Number(group.value) });
      toast('Escalated');
      reload();
    } catch (e) {
      const errs = e.problem && e.problem.errors ? e.problem.errors.map((x) => `${x.field}: ${x.message || x.reason || ''}`).join('; ') : '';
      toast(`${e.message}${errs ? ` (${errs})` : ''}`, true);
    }
  });
  setTimeout(rescore, 0);
  // folded until needed: the summary element opens it by keyboard too
  return h('details', { class: 'card' }, h('summary', {}, h('h2', { id: 'esc-h', class: 'inline', text: 'Escalate to engineering' })), form);
}

// ---- incidents ----
async function incidentsPage() {
  const show = view();
  const data = await get('/api/v1/incidents?active=true&limit=100');
  const rows = data.items.map((i) => h('tr', {},
    h('td', { text: `#${i.id}` }), h('td', { text: i.title }),
    h('td', {}, h('span', { class: `sev sev-${i.severity}`, text: i.severity })),
    h('td', { text: i.status }),
    h('td', {}, dueBadge(i.next_update_due, 'Next update')),
    h('td', { text: i.overdue ? 'overdue' : '' }),
    h('td', { text: String((i.tickets || []).length || i.ticket_count || 0) })));
  show(h('h1', { text: 'Incident board' }),
    rows.length ? h('table', { class: 'tickets' }, h('caption', { text: `${rows.length} active incidents` }),
      h('thead', {}, h('tr', {}, ['Incident', 'Title', 'Severity', 'Status', 'Next update', 'Overdue', 'Cases']
        .map((c) => h('th', { scope: 'col', text: c })))), h('tbody', {}, rows))
      : h('p', { class: 'empty', text: 'No active incidents.' }));
}

// ---- accounts ----
async function accountPage(id) {
  const show = view();
  let a;
  try { a = await get(`/api/v1/accounts/${encodeURIComponent(id)}`); } catch (e) {
    if (e instanceof ApiError && e.status === 404) { notFound(show, 'Account'); return; }
    throw e;
  }
  const data = await get(`/api/v1/tickets${qs({ account: a.id, limit: 100 })}`);
  show(h('h1', { text: a.name }), h('p', { class: 'meta', text: `Tier: ${a.tier}` }),
    data.items.length ? ticketTable(data.items, `${data.items.length} cases of ${a.name}`)
      : h('p', { class: 'empty', text: 'No cases.' }));
}

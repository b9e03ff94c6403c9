// portal.js - the customer portal: the account's cases, submitting a case,
// replying (public only: the server never shows a customer internal notes),
// and searching public articles (the server records deflection for a
// customer's search). Sub-pages: #/cases, #/case/ID, #/new, #/search.
import { get, post, qs, upload, ApiError } from './api.js';
import { h, view, field, select, toast, snippet, fmtTime } from './dom.js';

export function render(hash) {
  const parts = (hash || '').replace(/^#\/?/, '').split('/');
  const shown = view();
  const fail = (e) => shown(h('h1', { text: 'Something went wrong' }), h('p', { class: 'error', text: e.message }));
  // #/ticket/ID: an agent console link opened by a customer
  if ((parts[0] === 'case' || parts[0] === 'ticket') && parts[1]) casePage(parts[1]).catch(fail);
  else if (parts[0] === 'new') newCase();
  else if (parts[0] === 'search') searchPage(decodeURIComponent(parts[1] || '')).catch(fail);
  else casesPage().catch(fail);
}

async function casesPage() {
  const show = view();
  const data = await get('/api/v1/tickets?limit=100');
  const rows = data.items.map((t) => h('tr', {},
    h('td', {}, h('a', { href: `#/case/${t.id}`, text: `#${t.id}` })),
    h('td', { text: t.subject }), h('td', { text: t.status }), h('td', { text: t.priority }),
    h('td', { text: fmtTime(t.updated_at) })));
  show(h('h1', { text: 'Your cases' }),
    h('p', {}, h('a', { class: 'button primary', href: '#/new', text: 'Submit a new case' })),
    rows.length ? h('table', { class: 'tickets' }, h('caption', { text: `${rows.length} cases of your account` }),
      h('thead', {}, h('tr', {}, ['Case', 'Subject', 'Status', 'Priority', 'Updated'].map((c) => h('th', { scope: 'col', text: c })))),
      h('tbody', {}, rows)) : h('p', { class: 'empty', text: 'No cases yet.' }));
}

function newCase() {
  const show = view();
  const subject = h('input', { name: 'subject', required: true, maxlength: '200' });
  const description = h('textarea', { name: 'description', rows: '6', required: true });
  const priority = select('priority', [['P3', 'P3 - normal'], ['P1', 'P1 - service down'], ['P2', 'P2 - major impact'], ['P4', 'P4 - question']], 'P3');
  const files = h('input', { type: 'file', name: 'files', multiple: true });
  const suggest = h('div', { class: 'card', 'aria-live': 'polite', hidden: true });
  const msg = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-h' },
    h('h1', { id: 'new-h', text: 'Submit a case' }),
    field('Subject', subject), field('Description', description, 'What happened, what you expected, since when.'),
    field('Priority', priority), field('Attach files (optional)', files, 'Logs, screenshots, HAR files; up to 1 MiB each.'),
    msg, h('button', { type: 'submit', class: 'primary', text: 'Submit case' }));
  // articles that may answer the question, as the customer types the subject
  let timer = null;
  subject.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = subject.value.trim();
      if (q.length < 4) { suggest.hidden = true; return; }
      try {
        const r = await get(`/api/v1/search${qs({ q, type: 'article', limit: 5 })}`);
        suggest.replaceChildren(h('h2', { text: 'These articles may help' }),
          h('ul', { class: 'plain' }, r.items.map((a) => h('li', {}, h('strong', { text: a.title }), ' ', snippet(a.snippet)))));
        suggest.hidden = !r.items.length;
      } catch { suggest.hidden = true; }
    }, 400);
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      const t = await post('/api/v1/tickets', { subject: subject.value, description: description.value, priority: priority.value });
      if (files.files.length) {
        const created = (await get(`/api/v1/tickets/${t.id}/events?limit=1`)).items[0];
        await attachAll(t.id, created.id, files.files);
      }
      toast(`Case #${t.id} submitted`);
      location.hash = `#/case/${t.id}`;
    } catch (e) { msg.textContent = e.message; }
  });
  show(form, suggest);
  subject.focus();
}

// Uploads the chosen files one by one; a refused file is reported, the
// case and the others stay.
async function attachAll(ticket, event, list) {
  for (const f of list) {
    try { await upload(ticket, event, f); } catch (e) { toast(`${f.name}: ${e.message}`, true); }
  }
}

async function casePage(id) {
  const show = view();
  let t;
  try { t = await get(`/api/v1/tickets/${encodeURIComponent(id)}`); } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      show(h('h1', { text: 'Case not found' }),
        h('p', { class: 'notfound', text: 'There is no such case in your account.' }),
        h('p', {}, h('a', { href: '#/cases', text: 'Back to your cases' })));
      return;
    }
    throw e;
  }
  const [comments, atts] = await Promise.all([get(`/api/v1/tickets/${t.id}/comments?limit=500`),
    get(`/api/v1/tickets/${t.id}/attachments`).catch(() => ({ items: [] }))]);
  const text = h('textarea', { name: 'body', rows: '5', required: true });
  const files = h('input', { type: 'file', name: 'files', multiple: true });
  const form = h('form', { class: 'card', 'aria-labelledby': 'reply-h' },
    h('h2', { id: 'reply-h', text: 'Reply' }), field('Your message', text), field('Attach files (optional)', files),
    h('button', { type: 'submit', class: 'primary', text: 'Send reply' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!text.value.trim()) { text.focus(); return; }
    try {
      const c = await post(`/api/v1/tickets/${t.id}/comments`, { body: text.value, public: true });
      if (files.files.length) await attachAll(t.id, c.id, files.files);
      toast('Reply sent');
      casePage(t.id);
    } catch (e) { toast(e.message, true); }
  });
  show(h('h1', {}, `#${t.id} `, t.subject),
    h('p', { class: 'meta' }, h('span', { class: `status status-${t.status}`, text: t.status }), ' ',
      h('span', { class: `prio prio-${t.priority}`, text: t.priority }), ` · opened ${fmtTime(t.created_at)}`),
    h('section', { class: 'card', 'aria-labelledby': 'd-h' }, h('h2', { id: 'd-h', text: 'Description' }), h('p', { class: 'pre', text: t.description })),
    h('section', { class: 'card', 'aria-labelledby': 'c-h' }, h('h2', { id: 'c-h', text: 'Conversation' }),
      comments.items.length ? h('ol', { class: 'timeline' }, comments.items.map((c) => h('li', { class: 'ev comment public' },
        h('div', { class: 'ev-head' }, `${c.actor ? c.actor.name || c.actor.email : ''} · `, h('time', { datetime: c.at, text: fmtTime(c.at) })),
        h('p', { class: 'pre', text: c.data.body })))) : h('p', { class: 'muted', text: 'No replies yet.' })),
    atts.items.length ? h('section', { class: 'card', 'aria-labelledby': 'a-h' }, h('h2', { id: 'a-h', text: 'Attachments' }),
      h('ul', { class: 'plain attachments' }, atts.items.map((a) => h('li', {},
        h('a', { href: `/api/v1/attachments/${a.id}`, download: a.filename, text: a.filename }),
        ` (${a.content_type}, ${a.size} bytes)`)))) : null,
    form);
}

async function searchPage(q) {
  const show = view();
  const input = h('input', { type: 'search', name: 'q', value: q });
  const form = h('form', { role: 'search', class: 'card' }, field('Search the knowledge base', input),
    h('button', { type: 'submit', text: 'Search' }));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); location.hash = `#/search/${encodeURIComponent(input.value)}`; });
  let results = null;
  if (q) {
    const r = await get(`/api/v1/search${qs({ q, type: 'article', limit: 20 })}`);
    results = r.items.length ? h('ul', { class: 'results' }, r.items.map((a) => h('li', {},
      h('h2', { text: a.title }), h('p', {}, snippet(a.snippet)))))
      : h('p', { class: 'empty', text: 'No articles found. You can submit a case.' });
  }
  show(h('h1', { text: 'Search articles' }), form, results);
  if (!q) input.focus();
}

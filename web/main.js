// main.js - the entry point: asks the server who is signed in, then shows
// the login form, the agent console (/), the customer portal (/portal) or
// the manager dashboard (/dashboard). Sub-pages are in the URL's hash.
import { get, post, del, setCsrf, ApiError } from './api.js';
import { h, show, field, toast, clear } from './dom.js';
import { startTicking } from './sla.js';

export const session = { user: null };

async function load() {
  try {
    const s = await get('/api/v1/session');
    session.user = s.user;
    setCsrf(s.csrf_token);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) { show(h('p', { class: 'error', text: `Cannot reach the server: ${e.message}` })); return; }
    session.user = null;
  }
  route();
}

function isStaff(u) { return u && u.role !== 'customer'; }

async function route() {
  const u = session.user;
  nav();
  if (!u) { loginPage(); return; }
  const path = location.pathname;
  if (u.role === 'customer' && path !== '/portal') { location.replace('/portal' + location.hash); return; }
  if (isStaff(u) && path === '/portal') { location.replace('/'); return; }
  startTicking();
  if (path === '/portal') (await import('./portal.js')).render(location.hash);
  else if (path === '/dashboard') (await import('./dashboard.js')).render(location.hash);
  else (await import('./console.js')).render(location.hash);
}

function nav() {
  const n = clear(document.getElementById('nav'));
  const who = clear(document.getElementById('who'));
  const u = session.user;
  if (!u) return;
  const links = u.role === 'customer'
    ? [['/portal#/cases', 'My cases'], ['/portal#/new', 'New case'], ['/portal#/search', 'Search articles']]
    : [['/#/queue/mine', 'Queues'], ['/#/incidents', 'Incidents'], ['/dashboard', 'Dashboard']];
  n.append(h('ul', {}, links.map(([href, label]) => h('li', {}, h('a', { href, text: label })))));
  who.append(`${u.name || u.email} (${u.role}) `,
    h('button', { type: 'button', class: 'link', onclick: logout, text: 'Log out' }));
}

async function logout() {
  try { await del('/api/v1/session'); } catch { /* already gone */ }
  session.user = null;
  setCsrf(null);
  location.assign('/');
}

// "45 seconds", "2 minutes", "15 minutes" (a throttled login's Retry-After)
function waitText(s) {
  if (!(s > 0)) return 'a moment';
  if (s < 90) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.ceil(s / 60);
  return `${m} minutes`;
}

function loginPage() {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const pw = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'login-h' },
    h('h1', { id: 'login-h', text: 'Sign in to Casebook' }),
    field('E-mail', email), field('Password', pw), msg,
    h('button', { type: 'submit', class: 'primary', text: 'Sign in' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      const s = await post('/api/v1/session', { email: email.value, password: pw.value });
      session.user = s.user;
      setCsrf(s.csrf_token);
      toast(`Signed in as ${s.user.email}`);
      route();
    } catch (e) {
      msg.textContent = e.status === 429 ? `Too many failed attempts. Try again in ${waitText(e.retryAfter)}.`
        : e.status === 401 || e.status === 422 ? 'Wrong e-mail or password.' : e.message;
    }
  });
  show(form);
  email.focus();
}

window.addEventListener('hashchange', () => { if (session.user) route(); });
load();

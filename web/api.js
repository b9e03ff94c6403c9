// api.js - the JSON API with the session cookie: every change sends the
// session's CSRF token as X-CSRF-Token; errors become ApiError with the
// problem+json detail.
let csrf = null;

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter || 0; // seconds (429, 503)
  }
}

export function setCsrf(token) { csrf = token; }

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!r.ok) throw new ApiError(r.status, data, parseInt(r.headers.get('Retry-After') || '0', 10));
  return data;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const patch = (p, b) => api('PATCH', p, b);
export const del = (p) => api('DELETE', p);

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
}

// Uploads one file (a File from an <input type=file>) to a ticket, as part
// of the comment or creation event `event` the user just wrote.
export async function upload(ticket, event, file) {
  const headers = { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream' };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(`/api/v1/tickets/${ticket}/attachments${qs({ filename: file.name, event })}`,
    { method: 'POST', headers, body: file, credentials: 'same-origin' });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

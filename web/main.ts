// The dashboard's entry: the login form (the read token, kept in sessionStorage only), the hash router, and the
// states that replace a page when something fails: wrong token, receiver down, not found.
import { api, ApiError, clearToken, getToken, setToken } from './api.ts';
import { h, notice } from './dom.ts';
import { jobPage } from './job-page.ts';
import { jobsPage } from './jobs-page.ts';
import { runPage } from './run-page.ts';
import './style.css'; // after charts.ts's uPlot CSS: ours wins where both style an element

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;

function login(message?: string): void {
  nav.replaceChildren();
  // No `name` on the input and method=post: even if the script failed, the token could not end up in a URL.
  const input = h('input', { type: 'password', id: 'token', autocomplete: 'off', required: true, spellcheck: 'false',
    'data-testid': 'token-input', 'aria-describedby': 'token-help' });
  const form = h('form', { method: 'post', class: 'login', 'data-testid': 'login-form' },
    h('h1', {}, 'Receiver dashboard'),
    h('label', { for: 'token' }, 'Read token'), input,
    h('p', { id: 'token-help', class: 'muted' }, 'The receiver\'s RECEIVER_READ_TOKEN. It stays in this browser tab\'s session storage and is sent only as a Bearer header.'),
    message === undefined ? null : notice('error', message),
    h('button', { type: 'submit', 'data-testid': 'token-submit' }, 'Open'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    void check();
  });
  main.replaceChildren(form);
  input.focus();
}

/** Tries the token on a cheap request; on success shows the page the hash names. */
async function check(): Promise<void> {
  try {
    await api('/api/v1/jobs?limit=1');
    void route();
  } catch (err) {
    show(err);
  }
}

function show(err: unknown): void {
  if (err instanceof ApiError && err.kind === 'unauthorized') {
    clearToken();
    login('That token was not accepted. Check RECEIVER_READ_TOKEN and try again.');
    return;
  }
  const retry = h('button', { type: 'button', 'data-testid': 'retry' }, 'Retry');
  retry.addEventListener('click', () => void route());
  if (err instanceof ApiError && err.kind === 'down') {
    main.replaceChildren(notice('error', 'The receiver is not answering.',
      `${location.origin} did not answer (${err.message}). It may be restarting or down; the page retries when you ask.`, retry));
  } else if (err instanceof ApiError && err.kind === 'not-found') {
    main.replaceChildren(notice('error', 'Not found.', err.message, h('a', { href: '#/' }, 'Back to the jobs')));
  } else {
    main.replaceChildren(notice('error', 'Something went wrong.', err instanceof Error ? err.message : String(err), retry));
  }
}

function navigation(): void {
  const out = h('button', { type: 'button', class: 'link', 'data-testid': 'logout' }, 'Forget token');
  out.addEventListener('click', () => { clearToken(); login(); });
  nav.replaceChildren(h('a', { href: '#/' }, 'Jobs'), out);
}

async function route(): Promise<void> {
  if (getToken() === undefined) return login();
  navigation();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  try {
    if (parts[0] === 'job' && parts.length === 5) {
      const [, organization = '', repository = '', workflow = '', job = ''] = parts;
      await jobPage(main, { organization, repository, workflow, job });
    } else if (parts[0] === 'run' && parts[1] !== undefined) {
      await runPage(main, parts[1]);
    } else {
      await jobsPage(main, show);
    }
  } catch (err) {
    show(err);
  }
}

window.addEventListener('hashchange', () => void route());
void route();

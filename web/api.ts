// The receiver's API with the read token from sessionStorage: the token goes only into the Authorization
// header. Every failure becomes an ApiError whose kind decides what the page shows.
const TOKEN_KEY = 'rrc-read-token';

export const getToken = (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined;
export const setToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const clearToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

export type ApiErrorKind = 'unauthorized' | 'down' | 'not-found' | 'failed';

export class ApiError extends Error {
  override name = 'ApiError';
  readonly kind: ApiErrorKind;
  constructor(kind: ApiErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** GET a JSON answer and its headers. */
export async function apiGet<T>(path: string): Promise<{ body: T; headers: Headers }> {
  const token = getToken();
  if (token === undefined) throw new ApiError('unauthorized', 'no token');
  let res: Response;
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  } catch {
    throw new ApiError('down', 'no connection');
  }
  if (res.status === 401) throw new ApiError('unauthorized', 'The token was not accepted.');
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(res.status >= 502 ? 'down' : 'failed', `The receiver answered ${res.status} without JSON.`);
  }
  const error = typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : `status ${res.status}`;
  if (res.status === 404) throw new ApiError('not-found', error);
  if (res.status === 503) throw new ApiError('down', `The receiver's store is unavailable (${error}).`);
  if (!res.ok) throw new ApiError('failed', error);
  return { body: body as T, headers: res.headers };
}

export const api = async <T>(path: string): Promise<T> => (await apiGet<T>(path)).body;

/** `{org}/{repo}/{workflow}/{job}` as API path segments: each percent-encoded, so the repository's `/` is %2F. */
export const scopePath = (s: Scope): string => [s.organization, s.repository, s.workflow, s.job].map(encodeURIComponent).join('/');

export type Scope = { organization: string; repository: string; workflow: string; job: string };

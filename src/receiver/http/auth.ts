// Bearer tokens: the read token guards minting and queries; push tokens are checked by the ingest
// route against the body's scope. Failures are 401 HttpErrors; tokens are never logged.
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { HttpError } from '../errors.ts';
import { secretEquals } from '../token.ts';

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive), or undefined. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** The request's bearer token; 401 when there is none. */
export function requireBearer(req: FastifyRequest): string {
  const token = bearerToken(req);
  if (token === undefined) throw new HttpError(401, 'missing bearer token');
  return token;
}

/** onRequest hook: runs before the body is read, so an unauthenticated upload costs nothing. */
export function readTokenGuard(readToken: string): onRequestAsyncHookHandler {
  return async (req) => {
    if (!secretEquals(readToken, requireBearer(req))) throw new HttpError(401, 'invalid token');
  };
}

/** onRequest hook for pushes: a token must be present; whether it fits the scope needs the body. */
export const pushTokenPresent: onRequestAsyncHookHandler = async (req) => {
  requireBearer(req);
};

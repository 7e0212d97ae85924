// What a request must look like before the receiver believes its body: headers that mean one thing, and
// JSON that is UTF-8 as sent. Node keeps the first of a repeated Authorization or Content-Type and drops the
// rest, and fastify decodes a body as UTF-8 whatever its charset, turning bad bytes into U+FFFD: both used to
// store something other than what the client sent, with a 2xx (issue 7).
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.ts';

/** Headers that must appear at most once: a proxy in front may read the other copy than Node does. */
const SINGLE_HEADERS = ['authorization', 'content-type', 'host'] as const;

/** Rejects ambiguous headers (400) and bodies in a form the receiver does not read (415), before the body is read. */
export function installStrictInput(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => checkHeaders(req));

  const parseJson = app.getDefaultJsonParser('error', 'error'); // secure-json-parse: `__proto__` and `constructor.prototype` are 400
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) return done(new HttpError(400, 'body is not valid UTF-8'), undefined);
    void parseJson(req, bytes.toString('utf8'), done); // synchronous: it calls done (its type also allows a promise)
  });
}

function checkHeaders(req: FastifyRequest): void {
  const raw = req.raw.rawHeaders; // names as sent, values alternating (headersDistinct is absent under inject)
  for (const name of SINGLE_HEADERS) {
    let seen = 0;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === name) seen++;
    if (seen > 1) throw new HttpError(400, `more than one ${name} header`);
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new HttpError(415, 'content-encoding: not supported');
  }
  const type = req.headers['content-type'];
  if (type !== undefined) {
    for (const m of type.matchAll(/;\s*charset\s*=\s*"?([^";\s]*)/gi)) {
      if (!['utf-8', 'utf8'].includes((m[1] ?? '').toLowerCase())) throw new HttpError(415, 'content-type: charset must be utf-8');
    }
  }
}

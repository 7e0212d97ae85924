// HTTP/1.1 over a bare TCP socket, for requests fetch refuses to send: duplicate or conflicting framing
// headers, raw bytes that are not UTF-8, garbage request lines.
import { connect } from 'node:net';

export type RawResponse = {
  /** The status of every response the server wrote on this connection, in order (1xx and pipelining included). */
  readonly statuses: number[];
  /** Everything the server sent, as latin1 text (headers and bodies). */
  readonly text: string;
  /** True when the server closed the connection before the deadline. */
  readonly closedByServer: boolean;
};

export type RawOptions = {
  /**
   * When to half-close our side. Node's server answers an incomplete request at EOF (400), but drops the response
   * to a complete one still in progress (an async store write), so: 'write' for a request known to be incomplete,
   * 'response' (the default) after the first final response, or, as a safety net, after `quietMs` of silence.
   */
  readonly end?: 'write' | 'response';
  /** @default 2000 */
  readonly quietMs?: number;
  /** Give up (closedByServer false) after this long. @default 5000 */
  readonly timeoutMs?: number;
};

/** Writes `request` to 127.0.0.1:port and collects what comes back until the server closes or the timeout. */
export function rawRequest(port: number, request: Buffer | string, options: RawOptions = {}): Promise<RawResponse> {
  const { end = 'response', quietMs = 2_000, timeoutMs = 5_000 } = options;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    let quiet: NodeJS.Timeout | undefined;
    const text = () => Buffer.concat(chunks).toString('latin1');
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(quiet);
      socket.destroy();
      const all = text();
      const statuses = [...all.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ statuses, text: all, closedByServer });
    };
    const halfClose = () => { clearTimeout(quiet); if (!socket.writableEnded) socket.end(); };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (end === 'response') {
        clearTimeout(quiet);
        if (hasFinalResponse(text())) halfClose(); else quiet = setTimeout(halfClose, quietMs);
      }
    });
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after the server answered and closed is a close; a refused connection is a failure.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish(true);
      else if (!settled) { settled = true; clearTimeout(timer); clearTimeout(quiet); reject(err); }
    });
    socket.write(request, () => { if (end === 'write') halfClose(); else quiet = setTimeout(halfClose, quietMs); });
  });
}

/** Whether `text` holds a complete non-1xx response (head, and as many body bytes as its Content-Length says). */
function hasFinalResponse(text: string): boolean {
  for (let at = 0; ;) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return false;
    const head = text.slice(at, headEnd);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (status >= 200) return text.length >= headEnd + 4 + length;
    at = headEnd + 4;
  }
}

/** A request with CRLF line ends from a head (request line and header lines) and a body. */
export function httpRequest(head: readonly string[], body: Buffer | string = ''): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), bytes]);
}

// Errors that carry an HTTP status. Only these and fastify's FST_ERR_* reach a client (with their
// message); anything else is a 500 "internal error" and its details stay in the log.

/** A client error with a message that is safe to send back as `{"error": message}`. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

/**
 * The store did not answer (connection refused, pool exhausted, SQLite busy past its timeout). The
 * write did not happen, so the client gets 503 and retries; never a 2xx for a lost write.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly statusCode = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

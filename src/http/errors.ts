import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { TicketConflictError } from '../tickets/ticket-store.ts';

/**
 * An error an API caller can act on: an HTTP status, a stable machine-readable code, and the field
 * at fault. Sent as `{ "error": { "code", "message", "field"? } }`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Parses `value` with `schema` or throws a 400 naming the first field at fault. */
export function parseBody<T extends z.ZodType>(schema: T, value: unknown, where = 'body'): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : where;
  throw new ApiError(400, 'invalid_request', `${field}: ${issue?.message ?? 'invalid'}`, field);
}

/** 404 for every path no router claimed, in the API's error shape. */
export const notFound: RequestHandler = (_req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: 'No such resource.' } });
};

/**
 * Turns thrown errors into the API's error shape. Body-parser failures (malformed JSON, a body over
 * the limit) keep their 4xx; a ticket that kept changing under the request is a 409 `conflict` to
 * retry; anything unexpected is a 500 that reveals nothing.
 */
export function errorHandler(log: { error(o: object, m: string): void }): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (err instanceof ApiError) {
      res.status(err.status).json({
        error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) },
      });
      return;
    }
    // Others kept changing the ticket while this request tried to (the store gave up after its
    // retries): nothing was written, and the same request a moment later will most likely go through.
    if (err instanceof TicketConflictError) {
      res.status(409).json({
        error: { code: 'conflict', message: 'The ticket is being changed by someone else; try again.' },
      });
      return;
    }
    const status =
      typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) {
      log.error({ err: { name: err?.name, message: err?.message, stack: err?.stack } }, 'request failed');
      res.status(500).json({
        error: { code: 'internal', message: 'Something went wrong on our side; please try again.' },
      });
      return;
    }
    const code =
      status === 413
        ? 'body_too_large'
        : err?.type === 'entity.parse.failed'
          ? 'malformed_json'
          : 'bad_request';
    const message =
      status === 413
        ? 'The request body is larger than allowed.'
        : code === 'malformed_json'
          ? 'The body is not valid JSON.'
          : 'The request could not be read.';
    res.status(status).json({ error: { code, message, field: 'body' } });
  };
}

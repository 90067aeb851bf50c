import express, { type Router } from 'express';
import { ipKeyGenerator, MemoryStore, type Options } from 'express-rate-limit';
import { METRICS_PATH } from './metrics-route.ts';

/** Where a request must present a key or token: the agency API, every admin page and API, the metrics. */
export const AUTHENTICATED_PATHS: readonly string[] = ['/api/v1', '/admin', METRICS_PATH];

/** The window in which failed authentications are counted. */
export const AUTH_FAILURE_WINDOW_MS = 10 * 60_000;

export interface AuthFailureLimitOptions {
  /** Refused authentications (401) one address may have per window before it is refused outright. */
  failuresPerWindow: number;
  windowMs?: number;
}

/**
 * Slows down guessing: an address that had `failuresPerWindow` refused authentications (401: no,
 * a wrong or a revoked key or token) under `AUTHENTICATED_PATHS` within the window gets a 429 for
 * every request there until the window ends — with the right token too, or a guess that hits would
 * show by its different answer. Only refusals are counted, once answered: a client that signs in
 * correctly never trips it, whatever its volume or how many requests it has in flight at once.
 * (express-rate-limit's `skipSuccessfulRequests` counts every request while it runs and takes the
 * count back when it succeeds, so 30 parallel correct requests from one office were refused; the
 * library's store is used directly instead, counting 401s only.) Health checks are not under these
 * paths. Per process, like the other limits.
 *
 * Mount it before the routers it protects, as one instance: the admin token opens `/admin/*` and
 * `/metrics` alike, so their failures count together.
 */
export function authFailureLimit(options: AuthFailureLimitOptions): Router {
  const windowMs = options.windowMs ?? AUTH_FAILURE_WINDOW_MS;
  const failures = new MemoryStore();
  failures.init({ windowMs } as Options);
  const router = express.Router();
  router.use([...AUTHENTICATED_PATHS], async (req, res, next) => {
    // An IPv6 client is its /56, as express-rate-limit keys it: one host has many addresses.
    const key = ipKeyGenerator(req.ip ?? '');
    const seen = await failures.get(key);
    if (seen && seen.totalHits >= options.failuresPerWindow) {
      const reset = seen.resetTime?.getTime();
      const seconds = reset ? Math.max(1, Math.ceil((reset - Date.now()) / 1000)) : windowMs / 1000;
      res
        .set('Retry-After', String(seconds))
        .status(429)
        .json({
          error: {
            code: 'rate_limited',
            message: 'Too many failed sign-ins from this address; wait and try again later.',
          },
        });
      return;
    }
    res.on('finish', () => {
      if (res.statusCode === 401) void failures.increment(key);
    });
    next();
  });
  return router;
}

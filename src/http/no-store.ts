import type { RequestHandler } from 'express';

/**
 * `Cache-Control: no-store` on every response of a router that answers authenticated requests:
 * tickets, citizens' files, new keys. No browser or shared cache may keep them (a response to a
 * request with `Authorization` must never be `public`, RFC 9111 §3.5). Mount it first, so refusals
 * and errors carry it too.
 *
 * @example router.use('/api/v1', noStore);
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

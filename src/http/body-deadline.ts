import type { Request, RequestHandler, Response } from 'express';

/**
 * Runs a body parser (`express.raw`, `express.json`…) with a time limit on reading the body. A
 * client that sends slowly holds what the request holds (a slot of a {@link ConcurrencyCap}, the
 * bytes read so far) until Node's request timeout, five minutes; past `ms` it is answered by
 * `onLate` instead, and the connection is closed once that answer is out (the rest of the body is
 * never read). A client whose socket cannot take the answer has it closed at once.
 *
 * The clock starts when the parser starts and stops when the body has been read: what the route
 * does with it afterwards (writing a file) is not cut short.
 *
 * @example
 * router.post(
 *   '/chat/uploads',
 *   withBodyDeadline(express.raw({ limit: '10mb' }), 60_000, (_req, res) =>
 *     res.status(408).json({ error: { code: 'upload_timeout', message: '…' } }),
 *   ),
 *   handler,
 * );
 */
export function withBodyDeadline(
  parser: RequestHandler,
  ms: number,
  onLate: (req: Request, res: Response) => void,
): RequestHandler {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new RangeError(`withBodyDeadline: ms must be a positive number, got ${ms}`);
  return (req, res, next) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      if (res.headersSent || !res.writable) {
        req.destroy();
        return;
      }
      // Node closes the connection once the answer is out, instead of reading the rest of the
      // body to use the connection again.
      res.set('connection', 'close');
      onLate(req, res);
    }, ms);
    res.on('close', () => clearTimeout(timer));
    parser(req, res, (err?: unknown) => {
      clearTimeout(timer);
      // Answered already: the parser's "request aborted" that follows has no one to go to.
      if (late) return;
      next(err);
    });
  };
}

import type { Request, RequestHandler } from 'express';
import { secretsEqual } from '../auth/secrets-equal.ts';

/**
 * The token a request presents: `Authorization: Bearer <token>`, or the password of HTTP Basic
 * (any user name). Basic is what a browser asks for by itself, so an operator can open an admin
 * page without a header-setting extension; Prometheus can send either.
 */
export function presentedToken(req: Request): string {
  const header = req.get('authorization') ?? '';
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return '';
}

/**
 * Admits a request presenting one of `tokens` (Bearer or Basic), compared in constant time.
 * With no token configured the resource does not exist (404): an unset secret never means "open".
 * A refusal asks for Basic, so a browser shows its password prompt.
 */
export function requireToken(tokens: readonly (string | undefined)[], realm = 'Aduan admin'): RequestHandler {
  const accepted = tokens.filter((t): t is string => Boolean(t));
  return (req, res, next) => {
    if (accepted.length === 0) {
      res.status(404).json({ error: { code: 'not_found', message: 'No such resource.' } });
      return;
    }
    const given = presentedToken(req);
    // Every candidate is compared (no early exit), so timing does not tell which token matched.
    let ok = false;
    for (const token of accepted) ok = secretsEqual(given, token) || ok;
    if (!ok) {
      res.set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
      res.status(401).json({ error: { code: 'unauthorized', message: 'Wrong or missing token.' } });
      return;
    }
    next();
  };
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { secretsEqual } from '../../auth/secrets-equal.ts';

/**
 * Whether `header` (`X-Hub-Signature-256`) signs `rawBody` with the Meta app's secret: Meta sends
 * `sha256=<hex HMAC-SHA256(app secret, raw body)>`. Compared in constant time, on the exact bytes
 * received (a re-serialised JSON body would not match).
 *
 * @example verifyMetaSignature(appSecret, req.get('x-hub-signature-256'), req.body) // → true | false
 */
export function verifyMetaSignature(appSecret: string, header: string | undefined, rawBody: Buffer): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1] as string, 'hex'));
}

/**
 * Meta's webhook verification request (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`):
 * the challenge to echo when the token is ours, or null (answer 403).
 */
export function handshakeChallenge(query: Record<string, unknown>, verifyToken: string): string | null {
  const mode = query['hub.mode'];
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string') return null;
  // Echoed into a response body: only what Meta sends (digits), never markup.
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(challenge)) return null;
  return secretsEqual(token, verifyToken) ? challenge : null;
}

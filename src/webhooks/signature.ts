import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature, in both directions. */
export const SIGNATURE_HEADER = 'x-aduan-signature';
/** The header naming the event type (`ticket.created`, `ticket.status_changed`, …). */
export const EVENT_HEADER = 'x-aduan-event';
/** The header carrying the event's stable id: the same event delivered twice has the same id. */
export const EVENT_ID_HEADER = 'x-aduan-event-id';

/** How old a signed timestamp may be (seconds) before the request is refused as a possible replay. */
export const REPLAY_WINDOW_SECONDS = 300;
/** How far ahead of our clock a timestamp may be (seconds): clocks drift a little even with NTP. */
export const CLOCK_SKEW_SECONDS = 30;

/** hex HMAC-SHA256(secret, "<t>.<raw body>"). */
export function signatureOf(secret: string, timestamp: number, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/**
 * The `X-Aduan-Signature` value for a body sent at `now`: `t=<unix seconds>,v1=<hex HMAC>`.
 *
 * @example signatureHeader(secret, JSON.stringify(payload), new Date()) // 't=1767225600,v1=5f0c…'
 */
export function signatureHeader(secret: string, body: Buffer | string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${signatureOf(secret, t, body)}`;
}

/** Why a signature was refused; each is a stable, machine-readable code. */
export type SignatureProblem =
  | 'signature_missing'
  | 'signature_malformed'
  | 'signature_expired'
  | 'signature_from_future'
  | 'signature_mismatch';

/** The outcome of checking a signature: the matching `v1` (remember it against replays) or the problem. */
export type SignatureCheck =
  | { ok: true; timestamp: number; v1: string }
  | { ok: false; problem: SignatureProblem };

/**
 * Checks `header` against the raw `body` and `secret`: the timestamp must be within the replay window
 * (not older than 5 minutes, not more than 30 seconds ahead), and one `v1` must equal the HMAC,
 * compared in constant time. More than one `v1` may be sent (a sender rotating its secret).
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: Buffer,
  now: Date,
): SignatureCheck {
  if (!header) return { ok: false, problem: 'signature_missing' };
  let timestamp: number | null = null;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (name === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === null || candidates.length === 0) return { ok: false, problem: 'signature_malformed' };
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (timestamp < nowSeconds - REPLAY_WINDOW_SECONDS) return { ok: false, problem: 'signature_expired' };
  if (timestamp > nowSeconds + CLOCK_SKEW_SECONDS) return { ok: false, problem: 'signature_from_future' };
  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex');
  // Every candidate is compared, and in constant time: how many bytes matched never shows in timing.
  let match: string | null = null;
  for (const candidate of candidates) {
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) match = candidate;
  }
  return match ? { ok: true, timestamp, v1: match } : { ok: false, problem: 'signature_mismatch' };
}

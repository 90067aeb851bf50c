// An agency's webhook receiver, as an agency would write it: a small express server on loopback
// that checks every delivery with the README's verification snippet (copied below unchanged), and
// answers with the statuses a test scripts (a 500 first, say) before answering 200.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';

// --- README "Verifying a delivery" snippet, unchanged but for the types ---------------------------
/** True when `header` (X-Aduan-Signature) signs `rawBody` (a Buffer) with `secret`, within 5 minutes. */
function verifyAduanSignature(
  secret: string,
  header: string | undefined,
  rawBody: Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=', 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false;
  if (!/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(parts.v1, 'hex'));
}
// ------------------------------------------------------------------------------------------------

/** One request the receiver got, with what it concluded. */
export interface Delivery {
  path: string;
  verified: boolean;
  /** The status the receiver answered. */
  answered: number;
  event: string | undefined;
  eventId: string | undefined;
  attempt: string | undefined;
  body: Record<string, unknown>;
}

/** A running receiver: its URL, what it received, and the answers still to give per path. */
export interface WebhookReceiver {
  url: string;
  deliveries: Delivery[];
  /** The secret to verify with, per path (set after `aduan webhook set` printed it). */
  secrets: Map<string, string>;
  /** Statuses to answer, in order, per path, before the default 200. */
  script: Map<string, number[]>;
  stop(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 and a free port. A delivery that does not verify is answered 401. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const secrets = new Map<string, string>();
  const script = new Map<string, number[]>();
  const app = express();
  app.post('/{*path}', express.raw({ type: 'application/json' }), (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const secret = secrets.get(req.path) ?? '';
    const verified = verifyAduanSignature(secret, req.get('x-aduan-signature'), raw);
    const answered = verified ? (script.get(req.path)?.shift() ?? 200) : 401;
    deliveries.push({
      path: req.path,
      verified,
      answered,
      event: req.get('x-aduan-event'),
      eventId: req.get('x-aduan-event-id'),
      attempt: req.get('x-aduan-delivery-attempt'),
      body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>,
    });
    res.status(answered).end();
  });
  const server = await new Promise<Server>((ok, fail) => {
    const s = app.listen(0, '127.0.0.1', () => ok(s));
    s.once('error', fail);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    secrets,
    script,
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

import express, { type Router } from 'express';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { statusBody } from '../http/api-schemas.ts';
import { ApiError, parseBody } from '../http/errors.ts';
import type { Keys } from '../redis/keys.ts';
import { TransitionError } from '../tickets/lifecycle.ts';
import { toAgencySummary } from '../tickets/ticket.ts';
import type { TicketService } from '../tickets/ticket-service.ts';
import type { TicketStore } from '../tickets/ticket-store.ts';
import { normalizeTrackingNumber } from '../tickets/tracking-number.ts';
import { CLOCK_SKEW_SECONDS, REPLAY_WINDOW_SECONDS, SIGNATURE_HEADER, verifySignature } from './signature.ts';
import type { WebhookSettings } from './webhook-settings.ts';

/** The path an agency's own system posts status changes to. */
export const INBOUND_HOOK_PATH = '/hooks/agencies/:agency/status';

/** `{ trackingId, status, note? }`: the agency API's status body plus the ticket it is about. */
export const inboundStatusBody = statusBody.extend({ trackingId: z.string().min(1).max(40) });

export interface InboundHookDeps {
  settings: WebhookSettings;
  redis: Redis;
  keys: Keys;
  tickets: TicketStore;
  service: TicketService;
  now: () => Date;
  /** Why a request was refused goes here (debug), never to the caller: see `SIGNATURE_REFUSED`. */
  log: { debug(o: object, m: string): void };
}

/**
 * The one answer to every refused signature. Distinct codes (missing, expired, …) would tell a
 * stranger which agencies have a webhook: without one there is no secret, so every request to it
 * would be a mismatch. The reason is logged at debug level.
 */
export const SIGNATURE_REFUSED = {
  code: 'signature_invalid',
  message: 'The request signature is missing, malformed, expired, wrong or was used before.',
} as const;

/** A secret for agencies without a webhook: their requests take the same HMAC work, then fail. */
const NO_SECRET = 'whsec_no-webhook-for-this-agency';

/**
 * `POST /hooks/agencies/{agency}/status`: an agency's system changes a ticket's status, signed
 * like outgoing webhooks with the agency's webhook secret. Checked in this order, and nothing is
 * read from the body before its signature is good:
 * 1. the raw body's signature (401 `signature_invalid`, whatever the reason: missing, malformed,
 *    outside the replay window, wrong, used before, or no webhook for that agency);
 * 2. the body's fields (400 naming the field);
 * 3. the ticket is this agency's (404 otherwise, the same answer as for no ticket), also when the
 *    change is written: a coordinator may re-route it in between;
 * 4. the lifecycle allows the change (409; the same status again is a harmless no-op).
 */
export function inboundHookRoutes(deps: InboundHookDeps): Router {
  const router = express.Router();
  const refuse = (agencyId: string | null, problem: string) => {
    deps.log.debug({ agency: agencyId, problem }, 'agency webhook refused');
    return new ApiError(401, SIGNATURE_REFUSED.code, SIGNATURE_REFUSED.message, SIGNATURE_HEADER);
  };
  const notFound = () => new ApiError(404, 'not_found', 'No such ticket.', 'trackingId');
  // express.raw: the bytes that were signed are the bytes verified (a re-serialised JSON would differ).
  router.post(INBOUND_HOOK_PATH, express.raw({ type: () => true, limit: '16kb' }), async (req, res) => {
    const param = String(req.params.agency);
    const agencyId = /^[a-z0-9-]{1,60}$/.test(param) ? param : null;
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const setting = agencyId ? await deps.settings.get(agencyId) : null;
    const check = verifySignature(setting?.secret ?? NO_SECRET, req.get(SIGNATURE_HEADER), raw, deps.now());
    if (!agencyId || !setting) throw refuse(agencyId, agencyId ? 'no_webhook' : 'no_such_agency');
    if (!check.ok) throw refuse(agencyId, check.problem);
    // Remembered for as long as its timestamp is accepted: a replay within the window is refused,
    // and after it the timestamp check refuses it.
    const first = await deps.redis.set(
      deps.keys.webhookSeen(agencyId, check.v1),
      '1',
      'EX',
      REPLAY_WINDOW_SECONDS + CLOCK_SKEW_SECONDS + 1,
      'NX',
    );
    if (first !== 'OK') throw refuse(agencyId, 'signature_replayed');

    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ApiError(400, 'malformed_json', 'The body is not valid JSON.', 'body');
    }
    const body = parseBody(inboundStatusBody, json);
    const trackingId = normalizeTrackingNumber(body.trackingId);
    const found = trackingId ? await deps.tickets.get(trackingId) : null;
    if (!found || found.ticket.agencyId !== agencyId) throw notFound();
    try {
      const result = await deps.service.changeStatus(
        found.ticket.trackingId,
        body.status,
        body.note,
        { kind: 'agency', id: agencyId },
        { agencyId },
      );
      // null: nothing was written — the ticket moved to another agency (or went) since the check
      // above (a 404 as for no ticket), or it already had that status with no event to show.
      const ticket = result?.ticket ?? (await deps.tickets.get(found.ticket.trackingId))?.ticket;
      if (!ticket || ticket.agencyId !== agencyId) throw notFound();
      res.json({ ticket: toAgencySummary(ticket), event: result?.event ?? null });
    } catch (err) {
      if (err instanceof TransitionError) {
        const noteMissing = err.reason === 'note_required';
        throw new ApiError(
          409,
          noteMissing ? 'note_required' : 'transition_not_allowed',
          err.message,
          noteMissing ? 'note' : 'status',
        );
      }
      throw err;
    }
  });
  return router;
}

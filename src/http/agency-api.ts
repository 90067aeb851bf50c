import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import type { ApiKeyRecord, ApiKeys } from '../auth/api-keys.ts';
import { STATUSES, TransitionError } from '../tickets/lifecycle.ts';
import { toAgencyView } from '../tickets/ticket.ts';
import type { TicketService } from '../tickets/ticket-service.ts';
import type { TicketStore } from '../tickets/ticket-store.ts';
import { normalizeTrackingNumber } from '../tickets/tracking-number.ts';
import { ApiError, parseBody } from './errors.ts';

export interface AgencyApiDeps {
  apiKeys: ApiKeys;
  tickets: TicketStore;
  service: TicketService;
}

const statusBody = z.strictObject({
  status: z.enum(STATUSES),
  note: z.string().trim().max(2000).optional(),
});

type Authed = { locals: { key: ApiKeyRecord } };

/** Checks `Authorization: Bearer <key>`; a missing or unknown key is a 401 that says nothing more. */
function requireKey(apiKeys: ApiKeys): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const record = match?.[1] ? await apiKeys.verify(match[1]) : null;
    if (!record) {
      res
        .set('www-authenticate', 'Bearer')
        .status(401)
        .json({ error: { code: 'unauthorized', message: 'A valid API key is required.' } });
      return;
    }
    res.locals.key = record;
    next();
  };
}

/**
 * The agency API under `/api/v1` (the part needed to close the loop; the full API is its own issue).
 * A key sees its own agency's tickets only: another agency's ticket is a 404, exactly like a
 * ticket that does not exist, so a key cannot even learn which tracking numbers are real.
 */
export function agencyApi(deps: AgencyApiDeps): Router {
  const router = express.Router();
  router.use('/api/v1', requireKey(deps.apiKeys));

  const loadVisible = async (rawId: string, key: ApiKeyRecord) => {
    const trackingId = normalizeTrackingNumber(rawId);
    const found = trackingId ? await deps.tickets.get(trackingId) : null;
    if (!found || (key.role === 'agency' && found.ticket.agencyId !== key.agencyId)) {
      throw new ApiError(404, 'not_found', 'No such ticket.', 'trackingId');
    }
    return found.ticket;
  };

  router.get('/api/v1/tickets/:trackingId', async (req, res: express.Response & Authed) => {
    const ticket = await loadVisible(String(req.params.trackingId), res.locals.key);
    res.json(toAgencyView(ticket, await deps.tickets.events(ticket.trackingId)));
  });

  router.post(
    '/api/v1/tickets/:trackingId/status',
    express.json({ limit: '16kb' }),
    async (req, res: express.Response & Authed) => {
      const key = res.locals.key;
      const ticket = await loadVisible(String(req.params.trackingId), key);
      const body = parseBody(statusBody, req.body);
      try {
        const actor =
          key.role === 'coordinator'
            ? { kind: 'coordinator' as const, id: key.id }
            : { kind: 'agency' as const, id: key.agencyId ?? key.id };
        const result = await deps.service.changeStatus(ticket.trackingId, body.status, body.note, actor);
        if (!result) throw new ApiError(404, 'not_found', 'No such ticket.', 'trackingId');
        res.json(toAgencyView(result.ticket, await deps.tickets.events(ticket.trackingId)));
      } catch (err) {
        if (err instanceof TransitionError) {
          throw new ApiError(
            409,
            err.reason === 'note_required' ? 'note_required' : 'transition_not_allowed',
            err.message,
            err.reason === 'note_required' ? 'note' : 'status',
          );
        }
        throw err;
      }
    },
  );

  return router;
}

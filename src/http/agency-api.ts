import express, { type RequestHandler, type Response, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { AttachmentStore } from '../attachments/attachment-store.ts';
import type { ApiKeyRecord, ApiKeys } from '../auth/api-keys.ts';
import { TransitionError } from '../tickets/lifecycle.ts';
import { toAgencySummary, toAgencyView } from '../tickets/ticket.ts';
import type { Scope, TicketQuery } from '../tickets/ticket-query.ts';
import {
  type Actor,
  type AgencyGuard,
  type TicketService,
  UnknownAgencyError,
} from '../tickets/ticket-service.ts';
import { normalizeTrackingNumber } from '../tickets/tracking-number.ts';
import { agencyRouteBody, listQuery, noteBody, replyBody, routeBody, statusBody } from './api-schemas.ts';
import { ApiError, parseBody } from './errors.ts';
import { noStore } from './no-store.ts';
import { openApiDocument } from './openapi.ts';

export interface AgencyApiDeps {
  apiKeys: ApiKeys;
  query: TicketQuery;
  service: TicketService;
  attachments: AttachmentStore;
  /** Requests one key may make per minute. */
  requestsPerMinutePerKey: number;
  now: () => Date;
}

type Authed = Response & { locals: { key: ApiKeyRecord } };

/** Checks `Authorization: Bearer <key>`; a missing, unknown or revoked key is a 401 that says nothing more. */
function requireKey(apiKeys: ApiKeys): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
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

function scopeOf(key: ApiKeyRecord): Scope {
  return key.role === 'coordinator' || !key.agencyId ? { all: true } : { agencyId: key.agencyId };
}

/**
 * What a write by this key is conditional on: an agency key's write lands only on a ticket that is
 * still its agency's when it is written (a coordinator may re-route it between the check and the write).
 */
function guardOf(key: ApiKeyRecord): AgencyGuard {
  const scope = scopeOf(key);
  return 'agencyId' in scope ? { agencyId: scope.agencyId } : {};
}

function actorOf(key: ApiKeyRecord): Actor {
  return key.role === 'coordinator'
    ? { kind: 'coordinator', id: key.id }
    : { kind: 'agency', id: key.agencyId ?? key.id };
}

/**
 * The agency API under `/api/v1` (described at `/api/v1/openapi.json`). Every route checks the key
 * and its scope: an agency key sees its own agency's tickets only, and another agency's ticket is a
 * 404 exactly like a ticket that does not exist, so a key cannot learn which tracking numbers are real.
 * An anonymous report never shows who reported.
 */
export function agencyApi(deps: AgencyApiDeps): Router {
  const router = express.Router();
  router.use('/api/v1', noStore);
  router.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.use('/api/v1', requireKey(deps.apiKeys));
  router.use(
    '/api/v1',
    rateLimit({
      windowMs: 60_000,
      limit: deps.requestsPerMinutePerKey,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (_req, res) => (res.locals.key as ApiKeyRecord).id,
      handler: (_req, res) => {
        res.status(429).json({
          error: { code: 'rate_limited', message: 'Too many requests for this key; slow down and retry.' },
        });
      },
    }),
  );

  /** The ticket if this key may see it; a 404 otherwise (the same answer as for no ticket). */
  const visible = async (rawId: string, key: ApiKeyRecord) => {
    const trackingId = normalizeTrackingNumber(rawId);
    const [found] = trackingId ? await deps.query.load([trackingId], deps.now()) : [];
    const scope = scopeOf(key);
    if (!found || ('agencyId' in scope && found.ticket.agencyId !== scope.agencyId)) {
      throw new ApiError(404, 'not_found', 'No such ticket.', 'trackingId');
    }
    return found;
  };
  const respondWithTicket = async (res: Response, trackingId: string, key: ApiKeyRecord, status = 200) => {
    const { ticket, events, deadlines } = await visible(trackingId, key);
    res.status(status).json(toAgencyView(ticket, events, { deadlines }));
  };

  router.get('/api/v1/tickets', async (req, res: Authed) => {
    const q = parseBody(listQuery, req.query, 'query');
    const { items, next } = await deps.query.list(
      scopeOf(res.locals.key),
      {
        ...(q.status ? { status: q.status } : {}),
        ...(q.category ? { category: q.category } : {}),
        ...(q.region ? { region: q.region } : {}),
        ...(q.overdue !== undefined ? { overdue: q.overdue } : {}),
        ...(q.since ? { since: new Date(q.since) } : {}),
      },
      q.limit,
      q.cursor ?? null,
      deps.now(),
    );
    res.json({ items: items.map((i) => toAgencySummary(i.ticket, { deadlines: i.deadlines })), next });
  });

  router.get('/api/v1/stats', async (_req, res: Authed) => {
    const { role, agencyId } = res.locals.key;
    // `key`: what the caller's own key may do, so a client (the inbox page) offers only what it allows.
    res.json({ ...(await deps.query.stats(scopeOf(res.locals.key), deps.now())), key: { role, agencyId } });
  });

  router.get('/api/v1/tickets/:trackingId', async (req, res: Authed) => {
    await respondWithTicket(res, String(req.params.trackingId), res.locals.key);
  });

  router.post(
    '/api/v1/tickets/:trackingId/status',
    express.json({ limit: '16kb' }),
    async (req, res: Authed) => {
      const key = res.locals.key;
      const { ticket } = await visible(String(req.params.trackingId), key);
      const body = parseBody(statusBody, req.body);
      try {
        // null when the ticket moved to another agency meanwhile: nothing changed, and the answer
        // below is the usual 404 (it reads the ticket again with this key's scope).
        await deps.service.changeStatus(
          ticket.trackingId,
          body.status,
          body.note,
          actorOf(key),
          guardOf(key),
        );
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
      await respondWithTicket(res, ticket.trackingId, key);
    },
  );

  router.post(
    '/api/v1/tickets/:trackingId/replies',
    express.json({ limit: '16kb' }),
    async (req, res: Authed) => {
      const key = res.locals.key;
      const { ticket } = await visible(String(req.params.trackingId), key);
      const body = parseBody(replyBody, req.body);
      if (!(await deps.service.reply(ticket.trackingId, body.message, actorOf(key), guardOf(key))))
        throw new ApiError(404, 'not_found', 'No such ticket.', 'trackingId');
      await respondWithTicket(res, ticket.trackingId, key, 201);
    },
  );

  router.post(
    '/api/v1/tickets/:trackingId/notes',
    express.json({ limit: '16kb' }),
    async (req, res: Authed) => {
      const key = res.locals.key;
      const { ticket } = await visible(String(req.params.trackingId), key);
      const body = parseBody(noteBody, req.body);
      if (!(await deps.service.note(ticket.trackingId, body.note, actorOf(key), guardOf(key))))
        throw new ApiError(404, 'not_found', 'No such ticket.', 'trackingId');
      await respondWithTicket(res, ticket.trackingId, key, 201);
    },
  );

  /**
   * Re-route to another agency. A coordinator key: disposisi, any ticket, the note optional. An agency
   * key: "bukan wewenang", its own tickets only (another agency's is the usual 404), with the reason
   * required; the answer is the last view of the ticket that key gets (afterwards it is a 404 for it).
   */
  router.post(
    '/api/v1/tickets/:trackingId/route',
    express.json({ limit: '16kb' }),
    async (req, res: Authed) => {
      const key = res.locals.key;
      const { ticket } = await visible(String(req.params.trackingId), key);
      const byAgency = key.role !== 'coordinator';
      const body = parseBody(byAgency ? agencyRouteBody : routeBody, req.body);
      if (byAgency && body.agencyId === ticket.agencyId)
        throw new ApiError(
          400,
          'same_agency',
          'The ticket is already this agency’s; choose the agency that is responsible for it.',
          'agencyId',
        );
      let moved: Awaited<ReturnType<TicketService['reroute']>>;
      try {
        moved = await deps.service.reroute(
          ticket.trackingId,
          body.agencyId,
          body.note,
          actorOf(key),
          byAgency ? { fromAgencyId: ticket.agencyId } : {},
        );
      } catch (err) {
        if (err instanceof UnknownAgencyError)
          throw new ApiError(400, 'unknown_agency', err.message, 'agencyId');
        if (err instanceof TransitionError)
          throw new ApiError(409, 'transition_not_allowed', err.message, 'agencyId');
        throw err;
      }
      if (!byAgency) {
        await respondWithTicket(res, ticket.trackingId, key);
        return;
      }
      // Moved meanwhile (by a coordinator) or gone: no longer this agency's, the same 404 as for no ticket.
      const [after] = moved ? await deps.query.load([ticket.trackingId], deps.now()) : [];
      if (!after) throw new ApiError(404, 'not_found', 'No such ticket.', 'trackingId');
      res.json(toAgencyView(after.ticket, after.events, { deadlines: after.deadlines }));
    },
  );

  router.get('/api/v1/tickets/:trackingId/attachments/:index', async (req, res: Authed) => {
    const { ticket } = await visible(String(req.params.trackingId), res.locals.key);
    const index = Number(req.params.index);
    const attachment = Number.isInteger(index) ? ticket.attachments[index] : undefined;
    const path = attachment ? deps.attachments.pathOf(attachment.ref) : null;
    if (!attachment || !path) throw new ApiError(404, 'not_found', 'No such attachment.', 'index');
    // Always a download with our own name and its checked type: a file is never rendered in our origin.
    const name = `${ticket.trackingId}-${index + 1}.${path.split('.').pop()}`;
    res.set({
      'content-type': attachment.mimeType,
      'content-disposition': `attachment; filename="${name}"`,
      'x-content-type-options': 'nosniff',
    });
    // No `Cache-Control: public` (sendFile's default): the router's no-store stands for a citizen's file.
    res.sendFile(path, { cacheControl: false, lastModified: false }, (err) => {
      if (err && !res.headersSent)
        res
          .status(404)
          .json({ error: { code: 'not_found', message: 'No such attachment.', field: 'index' } });
    });
  });

  return router;
}

import { randomBytes } from 'node:crypto';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { ApiKeyRecord, ApiKeys } from '../auth/api-keys.ts';
import type { Routing } from '../flows/schema.ts';
import type { TicketJob } from '../queue/queues.ts';
import { formatOf, Open311Error, sendOpen311, sendOpen311Error } from './open311-format.ts';
import { type Open311Query, requestsQuerySchema } from './open311-query.ts';
import { toServiceRequest } from './open311-requests.ts';
import { serviceDefinition, servicesOf } from './open311-services.ts';
import { submissionFromPost } from './open311-submission.ts';

/** Where the GeoReport v2 endpoint lives. */
export const OPEN311_BASE = '/open311/v2';
const SPECIFICATION = 'http://wiki.open311.org/GeoReport_v2';
/** When this endpoint's behaviour last changed (discovery's `changeset`). */
const CHANGESET = '2026-01-01T00:00:00Z';
/**
 * Public reads one address may make per minute. Not a setting: enough for a dashboard or an app
 * polling a few requests, too few to walk the tracking numbers or the 90-day window.
 */
export const READS_PER_MINUTE_PER_IP = 120;

export interface Open311Deps {
  routing: () => Routing;
  query: Open311Query;
  apiKeys: ApiKeys;
  /** POSTs one key may make per minute: the agency API's setting (`API_REQUESTS_PER_MINUTE_PER_KEY`). */
  requestsPerMinutePerKey: number;
  /** Puts a ticket job on the `tickets` queue under its id (as the chat does). */
  enqueueTicket: (job: TicketJob) => Promise<void>;
  /** The tracking id of a submission's ticket, once the worker made it. */
  ticketOfSubmission: (submissionId: string) => Promise<string | null>;
  /** Whether a submission's job is still known to the queue (waiting, running or retrying). */
  submissionQueued: (submissionId: string) => Promise<boolean>;
  now: () => Date;
  /** The public base URL for discovery; unset: taken from the request. */
  publicUrl?: string;
  contact?: string;
}

/** A token is the submission id without its `sub_` prefix: it names the ticket job, nothing more. */
const TOKEN = /^o311_[A-Za-z0-9_-]{24}$/;

/** Checks the POST's `api_key` field; a missing, unknown or revoked key is the spec's 403. */
function requireApiKey(apiKeys: ApiKeys): RequestHandler {
  return async (req, res, next) => {
    const apiKey = (req.body as Record<string, unknown> | undefined)?.api_key;
    const key = typeof apiKey === 'string' && apiKey ? await apiKeys.verify(apiKey) : null;
    if (!key) throw new Open311Error(403, 'api_key: missing, unknown or revoked', 'api_key');
    res.locals.key = key;
    next();
  };
}

/**
 * Open311 GeoReport v2 under `/open311/v2`, in JSON and XML: discovery, services (one per category
 * of `routing.yaml`, with a `region` attribute), service requests (GET public, POST with an agency or
 * coordinator key as `api_key`), and tokens. A POST queues the same `tickets` job the chat does, so
 * the ticket is made by the ticket worker: the answer carries a `token`, and
 * `tokens/{token}.json` gives the `service_request_id` once the ticket exists (normally within a
 * second). Confidential reports never appear, nor reports not yet verified or archived (a 404, as
 * for none); no reporter identity is ever shown. Reads are limited per address
 * ({@link READS_PER_MINUTE_PER_IP}), POSTs per key (the agency API's limit), both answered 429.
 */
export function open311Routes(deps: Open311Deps): Router {
  const router = express.Router();
  const base = OPEN311_BASE;
  // Dashboards read Open311 from the browser; answers are public (confidential tickets never are).
  router.use(base, (_req, res, next) => {
    res.set('access-control-allow-origin', '*');
    next();
  });
  // Reads need no key, so they are limited by address, before any work (a scan of the window, a
  // lookup of ids). A 429 comes in the spec's error shape, with Retry-After.
  router.use(
    base,
    rateLimit({
      windowMs: 60_000,
      limit: READS_PER_MINUTE_PER_IP,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      skip: (req) => req.method !== 'GET' && req.method !== 'HEAD',
      handler: (_req, _res, next) => {
        next(new Open311Error(429, 'Too many requests from this address; retry after Retry-After seconds'));
      },
    }),
  );
  // Each POST makes a ticket and its jobs: limited per key, as the agency API is, once the key is known.
  const perKey = rateLimit({
    windowMs: 60_000,
    limit: deps.requestsPerMinutePerKey,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => (res.locals.key as ApiKeyRecord).id,
    handler: (_req, _res, next) => {
      next(
        new Open311Error(
          429,
          'api_key: too many requests for this key; retry after Retry-After seconds',
          'api_key',
        ),
      );
    },
  });

  router.get(`${base}/discovery.:format`, (req, res) => {
    const format = formatOf(req.params.format);
    const origin = deps.publicUrl?.replace(/\/$/, '') ?? `${req.protocol}://${req.get('host')}`;
    sendOpen311(res, format, 'discovery', {
      changeset: CHANGESET,
      contact: deps.contact ?? null,
      key_service: 'An agency or coordinator key from the deployment (aduan agency-key create).',
      endpoints: [
        {
          specification: SPECIFICATION,
          url: `${origin}${base}`,
          changeset: CHANGESET,
          type: 'production',
          formats: ['application/json', 'text/xml'],
        },
      ],
    });
  });

  router.get(`${base}/services.:format`, (req, res) => {
    sendOpen311(res, formatOf(req.params.format), 'services', servicesOf(deps.routing()));
  });

  router.get(`${base}/services/:code.:format`, (req, res) => {
    const format = formatOf(req.params.format);
    const definition = serviceDefinition(deps.routing(), String(req.params.code));
    if (!definition) throw new Open311Error(404, 'service_code: no such service', 'service_code');
    sendOpen311(res, format, 'service_definition', definition);
  });

  router.get(`${base}/requests.:format`, async (req, res) => {
    const format = formatOf(req.params.format);
    const parsed = requestsQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = String(issue?.path[0] ?? 'query');
      throw new Open311Error(400, `${field}: ${issue?.message ?? 'invalid'}`, field);
    }
    const routing = deps.routing();
    // An unknown code is a mistake to say so, not an empty answer after reading the whole window.
    const unknown = parsed.data.service_code?.find((code) => !routing.categories.some((c) => c.id === code));
    if (unknown)
      throw new Open311Error(
        400,
        `service_code: no such service: ${unknown} (see services.json)`,
        'service_code',
      );
    const tickets = await deps.query.search(parsed.data, deps.now());
    sendOpen311(
      res,
      format,
      'service_requests',
      tickets.map((t) => toServiceRequest(t, routing)),
    );
  });

  router.get(`${base}/requests/:id.:format`, async (req, res) => {
    const format = formatOf(req.params.format);
    const ticket = await deps.query.byId(String(req.params.id));
    if (!ticket) throw new Open311Error(404, 'service_request_id: no such request', 'service_request_id');
    sendOpen311(res, format, 'service_requests', [toServiceRequest(ticket, deps.routing())]);
  });

  router.post(
    `${base}/requests.:format`,
    express.urlencoded({ extended: false, limit: '32kb' }),
    express.json({ limit: '32kb' }),
    requireApiKey(deps.apiKeys),
    perKey,
    async (req: Request, res) => {
      const format = formatOf(req.params.format);
      const params = (req.body ?? {}) as Record<string, unknown>;
      const key = res.locals.key as ApiKeyRecord;
      const token = `o311_${randomBytes(18).toString('base64url')}`;
      const job = submissionFromPost(params, deps.routing(), {
        submissionId: `sub_${token}`,
        keyId: key.id,
        now: deps.now(),
      });
      await deps.enqueueTicket(job);
      sendOpen311(
        res,
        format,
        'service_requests',
        [
          {
            token,
            service_notice:
              'Laporan diterima dan sedang dicatat; nomor laporan tersedia melalui tokens/{token}. ' +
              'Received; the request id is available from tokens/{token}.',
            account_id: null,
          },
        ],
        201,
      );
    },
  );

  router.get(`${base}/tokens/:token.:format`, async (req, res) => {
    const format = formatOf(req.params.format);
    const token = String(req.params.token);
    if (!TOKEN.test(token)) throw new Open311Error(404, 'token: no such token', 'token');
    const submissionId = `sub_${token}`;
    const trackingId = await deps.ticketOfSubmission(submissionId);
    // Not made yet but still queued: the spec's way to say "ask again" is a token without an id.
    if (!trackingId && !(await deps.submissionQueued(submissionId)))
      throw new Open311Error(404, 'token: no such token', 'token');
    sendOpen311(res, format, 'service_requests', [{ service_request_id: trackingId, token }]);
  });

  router.use(base, (req, _res, next) => {
    next(new Open311Error(404, `${req.method} ${req.path}: no such Open311 resource`, 'path'));
  });
  router.use(base, open311ErrorHandler);
  return router;
}

/** Every error under `/open311/v2` in the spec's shape, in the format the path asked for. */
const open311ErrorHandler: ErrorRequestHandler = (err, req, res, next) => {
  const format = req.path.endsWith('.xml') ? 'xml' : 'json';
  if (err instanceof Open311Error) return sendOpen311Error(res, format, err);
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 0;
  // Body parser failures keep their 4xx; anything else goes to the app's handler (logged, a bare 500).
  if (!status) return next(err);
  const description =
    status === 413 ? 'body: larger than allowed' : 'body: could not be read (form fields or JSON expected)';
  sendOpen311Error(res, format, new Open311Error(status, description, 'body'));
};

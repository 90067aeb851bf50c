import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import { requireToken } from './admin-auth.ts';

/** Where the queue dashboard (Bull Board) lives. */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';

export interface QueueDashboardDeps {
  /** The queues to show (every queue this deployment has). */
  queues: readonly Queue[];
  /** ADMIN_TOKEN; without it the dashboard does not exist (404). */
  adminToken: string | undefined;
}

/**
 * The dashboard's API calls that change something and are allowed: retrying and promoting jobs,
 * pausing and resuming queues. Undoable or harmless; what a coordinator needs after fixing the cause
 * of failures. Everything else that writes (deleting, emptying, obliterating, editing a payload,
 * adding a job) is refused: a failed `tickets` job is the only copy of a citizen's submitted report,
 * and an allow-list keeps refusing write routes a later Bull Board adds.
 */
const ALLOWED_WRITES: readonly RegExp[] = [
  /^\/api\/queues\/(pause|resume)$/,
  /^\/api\/queues\/[^/]+\/(pause|resume|promote)$/,
  /^\/api\/queues\/[^/]+\/retry\/(failed)$/,
  /^\/api\/queues\/[^/]+\/[^/]+\/(retry|promote)$/,
];

const onlyAllowedWrites: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  if (req.method === 'PUT' && ALLOWED_WRITES.some((re) => re.test(req.path))) return next();
  res.status(403).json({
    error: {
      code: 'forbidden',
      message: 'This dashboard may retry, promote, pause and resume; nothing else.',
    },
  });
};

/**
 * The dashboard's own CSP, stricter than the site's on one point: Bull Board's page links a Google
 * Fonts stylesheet, which the site-wide `style-src https:` would let through. An admin page of a
 * government service should not tell a third party who opens it and when (and must work offline);
 * the UI falls back to system fonts. Its scripts, styles and images are its own, under this path.
 */
const dashboardCsp = helmet.contentSecurityPolicy({
  directives: {
    'style-src': ["'self'", "'unsafe-inline'"],
    'font-src': ["'self'", 'data:'],
    'img-src': ["'self'", 'data:'],
    // As on the rest of the site: a plain-http address (a LAN) must not be told to fetch over https.
    'upgrade-insecure-requests': null,
  },
});

/**
 * Bull Board at `/admin/queues`, behind `ADMIN_TOKEN` (Bearer, or HTTP Basic with the token as the
 * password so a browser can open it): it shows job payloads, and so citizens' report text. Its
 * own express app serves the UI, its static files and its JSON API under that path.
 */
export function queueDashboardRoutes(deps: QueueDashboardDeps): Router {
  const server = new ExpressAdapter();
  server.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: deps.queues.map((q) => new BullMQAdapter(q, { allowRetries: true })),
    serverAdapter: server,
    options: { uiConfig: { boardTitle: 'Aduan queues' } },
  });
  const router = express.Router();
  router.use(
    QUEUE_DASHBOARD_PATH,
    requireToken([deps.adminToken]),
    (req, res, next) => {
      // Pages and API answers show job payloads, citizens' text: never kept by a browser or a proxy.
      // The UI's static files hold nothing of the kind and may be cached.
      if (!req.path.startsWith('/static/')) res.set('Cache-Control', 'no-store');
      next();
    },
    onlyAllowedWrites,
    dashboardCsp,
    server.getRouter(),
  );
  return router;
}

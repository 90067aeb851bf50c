import express, { type Router } from 'express';
import type { Registry } from 'prom-client';
import { requireToken } from './admin-auth.ts';

/** Where Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

export interface MetricsRouteDeps {
  registry: Registry;
  /**
   * Tokens that may read the metrics: METRICS_TOKEN (only this page, so a monitoring system never
   * holds the admin token) and ADMIN_TOKEN. None set: there is no /metrics (404).
   */
  tokens: readonly (string | undefined)[];
}

/**
 * `GET /metrics` in Prometheus's text format. Counts only, never a citizen's text, but still behind
 * a token: ticket volumes by status and queue backlogs are operational facts of a government
 * service, and the process metrics describe the server.
 */
export function metricsRoute(deps: MetricsRouteDeps): Router {
  const router = express.Router();
  router.get(METRICS_PATH, requireToken(deps.tokens, 'Aduan metrics'), async (_req, res) => {
    const body = await deps.registry.metrics();
    res.set('Cache-Control', 'no-store').type(deps.registry.contentType).send(body);
  });
  return router;
}

import express, { type Router } from 'express';

export interface Readiness {
  /** Each check answers true when that part works; all must for the process to be ready. */
  checks: Record<string, () => Promise<boolean>>;
}

/**
 * `GET /healthz`: the process is up (no dependencies checked — restart me only if this fails).
 * `GET /readyz`: Redis answers and the workers of this process run (send me traffic only if so).
 */
export function healthRoutes(readiness: Readiness): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results: Record<string, boolean> = {};
    await Promise.all(
      Object.entries(readiness.checks).map(async ([name, check]) => {
        results[name] = await Promise.race([
          check().catch(() => false),
          new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false)),
        ]);
      }),
    );
    const ready = Object.values(results).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: results });
  });
  return router;
}

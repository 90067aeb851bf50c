import { join } from 'node:path';
import express, { type Router } from 'express';
import type { Routing } from '../flows/schema.ts';
import { NOTE_REQUIRED, STATUS_LABELS, STATUSES, TRANSITIONS } from '../tickets/lifecycle.ts';
import { PUBLIC_DIR } from './app.ts';

/** The inbox page's static files (HTML, CSS, JS), served at `/inbox/`. */
export const INBOX_DIR = join(PUBLIC_DIR, 'inbox');

export interface InboxDeps {
  /** The routing in use now (it changes when flows/routing.yaml does). */
  routing: () => Routing;
  /** IANA zone the page shows times in (TIMEZONE). */
  timeZone: string;
}

/**
 * What the page needs to know that is not a ticket: the lifecycle (so it offers only allowed
 * transitions and asks for a note where one is required), the Indonesian status labels, and the names
 * behind routing ids (the agencies also are the choices of the re-route forms: the coordinator's
 * disposisi, an agency's "bukan wewenang"). Built from the same tables the server enforces, so the
 * page cannot drift from them. Nothing here is secret: `/open311/v2/services.json` publishes the
 * categories already.
 */
export function inboxMeta(routing: Routing, timeZone: string) {
  return {
    timeZone,
    statuses: STATUSES.map((id) => ({
      id,
      label: STATUS_LABELS[id].id,
      next: TRANSITIONS[id],
      noteRequired: NOTE_REQUIRED.has(id),
    })),
    categories: routing.categories.map((c) => ({ id: c.id, label: c.label.id })),
    regions: routing.regions.map((r) => ({ id: r.id, label: r.name })),
    // The re-route forms' choices, grouped by region (null: province level). Public: routing ids and names.
    agencies: routing.agencies.map((a) => ({ id: a.id, label: a.name, region: a.region ?? null })),
  };
}

/**
 * The agency inbox page at `/inbox/` and its `meta.json`. Mounted with the agency API (the `api`
 * role), since the page is useless without it. The page signs in with an agency key and talks to
 * `/api/v1` with it; these routes themselves need no key.
 */
export function inboxRoutes(deps: InboxDeps): Router {
  const router = express.Router();
  router.get('/inbox/meta.json', (_req, res) => {
    // Revalidated on every load: a routing edit reaches open pages when they next load.
    res.set('cache-control', 'no-cache').json(inboxMeta(deps.routing(), deps.timeZone));
  });
  // no-cache (revalidate each load): an operator's tab must not run yesterday's script against today's API.
  router.use('/inbox', express.static(INBOX_DIR, { index: 'index.html', cacheControl: true, maxAge: 0 }));
  return router;
}

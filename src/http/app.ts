import { fileURLToPath } from 'node:url';
import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import { errorHandler, notFound } from './errors.ts';

/** The web chat's static files (HTML, CSS, JS), served at `/`. */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

export interface AppParts {
  routers: Router[];
  /** Serve the web chat page at `/`. */
  serveWebChat: boolean;
  logger: { error(o: object, m: string): void };
}

/**
 * The express application: security headers (helmet, strict CSP: the page has no inline script),
 * the routers this process's role mounts, and one error shape for every failure.
 */
export function createApp(parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'img-src': ["'self'", 'data:', 'blob:'],
          // helmet's default would make browsers fetch chat.js over https on a plain-http address
          // (a LAN, a container port), where nothing answers: the page would never load.
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );
  for (const router of parts.routers) app.use(router);
  if (parts.serveWebChat) app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: '5m' }));
  app.use(notFound);
  app.use(errorHandler(parts.logger));
  return app;
}

/**
 * A separate Aduan process holding the WhatsApp session, for the test that kills it with SIGKILL.
 * It links itself (scans its own QR in its fake WhatsApp), prints READY when it holds the session,
 * and then runs until killed. Settings come from the environment, like the real service's.
 *
 * Run: node bin/run-ts.js test/support/whatsapp-holder-process.ts (REDIS_URL, DATA_DIR, KEY_PREFIX set)
 */
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startAduan } from '../../src/main.ts';
import { FakeWhatsApp } from './fake-whatsapp.ts';
import { FAST_WHATSAPP } from './fast-whatsapp.ts';

const world = new FakeWhatsApp();
const config = loadConfig({
  ...process.env,
  PORT: '0',
  HOST: '127.0.0.1',
  WHATSAPP_ENABLED: 'true',
  LOG_LEVEL: 'silent',
});
const app = await startAduan(config, {
  role: 'bot',
  logger: createLogger('silent'),
  keyPrefix: process.env.KEY_PREFIX ?? 'aduan',
  whatsapp: {
    library: world.library,
    timings: FAST_WHATSAPP,
    onQr: () => {
      const client = world.clients.at(-1);
      if (client) setImmediate(() => world.scan(client));
    },
  },
});
const timer = setInterval(() => {
  if (app.whatsapp?.state === 'ready') {
    clearInterval(timer);
    process.stdout.write('READY\n');
  }
}, 20);

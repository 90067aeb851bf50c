import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type { Keys } from '../../redis/keys.ts';
import type { WhatsAppLibrary } from './whatsapp-library.ts';

export interface LogoutOptions {
  redis: Redis;
  keys: Keys;
  library: () => Promise<WhatsAppLibrary>;
  dataPath: string;
  chromiumPath: string;
  /** How long to wait for a running holder, or for the browser to open the saved session. */
  timeoutMs?: number;
  pollMs?: number;
}

/** What `aduan whatsapp logout` did. */
export type LogoutResult = 'logged_out_by_holder' | 'logged_out' | 'not_linked';

/**
 * Ends the WhatsApp session cleanly (the phone's "Linked devices" list loses the entry):
 * - when a process holds the session, it is asked through Redis and does it, then shows a new QR;
 * - otherwise the saved session is opened here and logged out; if it does not open as a linked
 *   session (never linked, or unlinked from the phone already), its files are removed.
 *
 * @throws Error when a running holder does not confirm within the timeout
 */
export async function logoutWhatsApp(options: LogoutOptions): Promise<LogoutResult> {
  const { redis, keys } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  if (await redis.exists(keys.whatsappLock)) {
    const request = randomBytes(8).toString('hex');
    await redis.set(keys.whatsappLogout, request, 'PX', timeoutMs);
    while (Date.now() < deadline) {
      if ((await redis.hget(keys.whatsappStatus, 'loggedOut')) === request) return 'logged_out_by_holder';
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    await redis.del(keys.whatsappLogout);
    throw new Error('the process holding the WhatsApp session did not confirm the logout in time');
  }
  const { Client, LocalAuth } = await options.library();
  const client = new Client({
    authStrategy: new LocalAuth({ clientId: 'aduan', dataPath: options.dataPath }),
    puppeteer: {
      executablePath: options.chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-setuid-sandbox'],
    },
    webVersionCache: { type: 'local', path: `${options.dataPath}/web-cache` },
  });
  // A QR code means there is no linked session to end; `ready` means there is one.
  const outcome = new Promise<'ready' | 'qr'>((resolve, reject) => {
    client.on('ready', () => resolve('ready'));
    client.on('qr', () => resolve('qr'));
    client.on('auth_failure', () => resolve('qr'));
    setTimeout(
      () => reject(new Error('WhatsApp Web did not open the saved session in time')),
      timeoutMs,
    ).unref();
  });
  try {
    await client.initialize();
    if ((await outcome) === 'ready') {
      await client.logout();
      return 'logged_out';
    }
    await rm(`${options.dataPath}/session-aduan`, { recursive: true, force: true });
    return 'not_linked';
  } finally {
    await client.destroy().catch(() => undefined);
  }
}

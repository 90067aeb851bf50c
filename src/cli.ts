import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ApiKeys } from './auth/api-keys.ts';
import { loadWhatsAppLibrary } from './channels/whatsapp/whatsapp-library.ts';
import { logoutWhatsApp } from './channels/whatsapp/whatsapp-logout.ts';
import { type Config, ConfigError, loadConfig } from './config/config.ts';
import { loadFlowSet, validateFlowSet } from './flows/loader.ts';
import { createLogger, type Logger } from './log/logger.ts';
import { forgetChatDeps, ROLES, type Role, startAduan } from './main.ts';
import {
  ChatAddressError,
  describeForget,
  forgetChat,
  parseChatAddress,
  ReportInFlightError,
} from './privacy/forget-chat.ts';
import { QUEUE } from './queue/queues.ts';
import { EmbeddedRedisError, readEmbeddedRedisUrl, startEmbeddedRedis } from './redis/embedded.ts';
import { Keys } from './redis/keys.ts';
import { withScripts } from './redis/scripts.ts';
import { SessionStore } from './sessions/session-store.ts';
import { TicketStore } from './tickets/ticket-store.ts';
import { WebhookSettings } from './webhooks/webhook-settings.ts';

const USAGE = `Usage: aduan <command>

  start [--role all|bot|worker|api]    run the service (default role: all)
  flows check [--dir DIR]              validate flows/*.yaml without starting
  agency-key create AGENCY             create an API key for one agency (printed once)
  agency-key create --coordinator      create a key that sees every agency's tickets
  agency-key list                      list keys (id, role, agency, created); never the keys themselves
  agency-key revoke ID                 revoke a key by its id
  queues [--failed N]                  job counts per queue and the newest failed jobs (default 10)
  webhook set AGENCY URL               send AGENCY's ticket events to URL, signed (new secret printed once)
  webhook remove AGENCY                stop sending AGENCY's events; its inbound webhook stops working too

  forget CHANNEL:CHATID                carry out a reporter's deletion request (UU PDP): delete the chat's
                                       conversation and transcript; its tickets keep the case, not the address

  whatsapp logout                      unlink the WhatsApp number (the running holder does it, or this command)

Settings come from the environment; see README.md.`;

/** Exit codes: 0 fine, 1 failed, 2 bad usage or configuration. */
class UsageError extends Error {}

function config(): Config {
  return loadConfig(process.env);
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { role: { type: 'string', default: 'all' } } });
  const role = values.role as Role;
  if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  const cfg = config();
  const logger = createLogger(cfg.LOG_LEVEL);
  // A part that fails for good after start-up (Telegram refusing long polling) has shut the
  // service down already: exit 1, so a supervisor restarts it (a revoked token then fails at start).
  const aduan = await startAduan(cfg, { role, logger, onFatal: () => process.exit(1) });
  if (aduan.url) {
    // A person ran `npm start`: tell them where to go, on stderr so JSON logs on stdout stay clean.
    process.stderr.write(
      `\nAduan is running (role: ${role}).\n  Web chat:  ${aduan.url}/\n  Health:    ${aduan.url}/readyz\nPress Ctrl-C to stop.\n\n`,
    );
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    aduan.stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ error: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function flowsCheck(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { dir: { type: 'string' } } });
  const dir = values.dir ?? process.env.FLOWS_DIR ?? './flows';
  const result = await validateFlowSet(dir);
  if (result.ok) {
    for (const flow of result.set.flows.values())
      console.log(`ok  ${flow.file}  (${flow.id}, ${flow.steps.length} steps, version ${flow.version})`);
    console.log(
      `ok  routing: ${result.set.routing.regions.length} regions, ${result.set.routing.agencies.length} agencies, ${result.set.routing.categories.length} categories`,
    );
    return 0;
  }
  for (const error of result.errors) console.error(error.message);
  console.error(`\n${result.errors.length} problem(s) found.`);
  return 1;
}

/**
 * Runs `fn` against the same Redis the service uses: REDIS_URL, else the running embedded server
 * (found through its lock file under DATA_DIR), else an embedded server started just for this.
 */
async function withServiceRedis<T>(
  cfg: Config,
  logger: Logger,
  fn: (redis: Redis) => Promise<T>,
): Promise<T> {
  const running = cfg.REDIS_URL ?? (await readEmbeddedRedisUrl(cfg.DATA_DIR));
  const embedded = running ? null : await startEmbeddedRedis({ dataDir: cfg.DATA_DIR, logger });
  const redis = new Redis(running ?? (embedded?.url as string), {
    maxRetriesPerRequest: 2,
    lazyConnect: true,
  });
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    await redis.quit().catch(() => undefined);
    await embedded?.stop();
  }
}

/** `agency-key list` and `agency-key revoke ID`. */
async function agencyKeyAdmin(action: 'list' | 'revoke', id: string | undefined): Promise<void> {
  if (action === 'revoke' && !id)
    throw new UsageError('agency-key revoke: name the key id (see `agency-key list`)');
  const cfg = config();
  const logger = createLogger('warn', process.stderr);
  await withServiceRedis(cfg, logger, async (redis) => {
    const keys = new ApiKeys(redis, new Keys());
    if (action === 'list') {
      for (const k of await keys.list())
        console.log(`${k.id}  ${k.role.padEnd(11)}  ${(k.agencyId ?? '*').padEnd(24)}  ${k.createdAt}`);
      return;
    }
    if (!(await keys.revoke(id as string))) throw new UsageError(`agency-key revoke: no key with id "${id}"`);
    process.stderr.write(`Revoked key ${id}. Requests with it are refused from now on.\n`);
  });
}

async function agencyKey(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { coordinator: { type: 'boolean', default: false } },
  });
  const [action, agency] = positionals;
  if (action === 'list' || action === 'revoke') return agencyKeyAdmin(action, agency);
  if (action !== 'create')
    throw new UsageError(
      'agency-key: expected `create AGENCY`, `create --coordinator`, `list` or `revoke ID`',
    );
  if (!values.coordinator && !agency)
    throw new UsageError(
      'agency-key create: name an AGENCY id (see flows/routing.yaml) or pass --coordinator',
    );
  const cfg = config();
  const logger = createLogger(cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL, process.stderr);
  if (agency && !values.coordinator) {
    const { routing } = await loadFlowSet(cfg.FLOWS_DIR);
    if (!routing.agencies.some((a) => a.id === agency)) {
      const known = routing.agencies.map((a) => a.id);
      throw new UsageError(
        `agency-key create: unknown agency "${agency}". Known agencies (flows/routing.yaml): ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}`,
      );
    }
  }
  const { key, record } = await withServiceRedis(cfg, logger, (redis) =>
    new ApiKeys(redis, new Keys()).create(values.coordinator ? null : (agency ?? null)),
  );
  process.stderr.write(
    `Created ${record.role} key ${record.id}${record.agencyId ? ` for ${record.agencyId}` : ''}. It is shown once; store it safely:\n`,
  );
  console.log(key);
}

/** `webhook set AGENCY URL` (prints the new secret once) and `webhook remove AGENCY`. */
async function webhook(args: string[]): Promise<void> {
  const [action, agency, url] = args;
  if (!((action === 'set' && agency && url) || (action === 'remove' && agency)))
    throw new UsageError('webhook: expected `set AGENCY URL` or `remove AGENCY`');
  const cfg = config();
  const { routing } = await loadFlowSet(cfg.FLOWS_DIR);
  // Removing works for an agency routing.yaml no longer lists: its old webhook must be removable.
  if (action === 'set' && !routing.agencies.some((a) => a.id === agency))
    throw new UsageError(`webhook: unknown agency "${agency}" (see flows/routing.yaml)`);
  if (action === 'set' && !URL.canParse(url ?? '')) throw new UsageError('webhook set: URL is not a URL');
  if (action === 'set' && !/^https?:$/.test(new URL(url as string).protocol))
    throw new UsageError('webhook set: URL must be http:// or https:// (https outside a private network)');
  const logger = createLogger('warn', process.stderr);
  await withServiceRedis(cfg, logger, async (redis) => {
    const settings = new WebhookSettings(redis, new Keys());
    if (action === 'remove') {
      const removed = await settings.remove(agency as string);
      process.stderr.write(removed ? `Removed the webhook of ${agency}.\n` : `${agency} had no webhook.\n`);
      return;
    }
    const setting = await settings.set(agency as string, url as string);
    process.stderr.write(
      `Events of ${agency} now go to ${setting.url}. The signing secret (shown once; give it to the agency, it also signs their status updates):\n`,
    );
    console.log(setting.secret);
  });
}

async function queues(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { failed: { type: 'string', default: '10' } } });
  const show = Number(values.failed);
  if (!Number.isInteger(show) || show < 0) throw new UsageError('queues: --failed expects a whole number');
  const cfg = config();
  const logger = createLogger('warn', process.stderr);
  await withServiceRedis(cfg, logger, async (redis) => {
    const keys = new Keys();
    for (const name of Object.values(QUEUE)) {
      const queue = new Queue(name, { connection: redis, prefix: keys.bull });
      try {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
        console.log(
          `${name.padEnd(14)} ${Object.entries(counts)
            .map(([k, v]) => `${k} ${v}`)
            .join('  ')}`,
        );
        for (const job of show > 0 ? await queue.getFailed(0, show - 1) : []) {
          const when = job.finishedOn ? new Date(job.finishedOn).toISOString() : '?';
          console.log(`  failed ${job.id}  attempts ${job.attemptsMade}  ${when}  ${job.failedReason}`);
        }
      } finally {
        await queue.close();
      }
    }
  });
}

/** `forget CHANNEL:CHATID`: the same use case as `DELETE /admin/api/chats/…`. */
async function forget(args: string[]): Promise<number> {
  if (args.length !== 1)
    throw new UsageError('forget: name one chat as CHANNEL:CHATID, e.g. `forget telegram:12345`');
  let address: ReturnType<typeof parseChatAddress>;
  try {
    address = parseChatAddress(args[0] as string);
  } catch (err) {
    if (err instanceof ChatAddressError) throw new UsageError(`forget: ${err.message}`);
    throw err;
  }
  const cfg = config();
  const logger = createLogger('warn', process.stderr);
  return withServiceRedis(cfg, logger, async (client) => {
    const redis = withScripts(client);
    const keys = new Keys();
    // Only delete() and outbox reads are used: the TTLs do not matter here.
    const sessions = new SessionStore(redis, keys, { draftTtlSeconds: cfg.SESSION_EXPIRY_HOURS * 3600 });
    const tickets = new TicketStore(redis, keys);
    const ticketQueue = new Queue(QUEUE.tickets, { connection: client, prefix: keys.bull });
    const notificationQueue = new Queue(QUEUE.notifications, { connection: client, prefix: keys.bull });
    try {
      const summary = await forgetChat(
        forgetChatDeps({
          redis,
          keys,
          sessions,
          tickets,
          queues: { tickets: ticketQueue, notifications: notificationQueue },
        }),
        address,
      );
      console.log(describeForget(summary));
      return 0;
    } catch (err) {
      if (err instanceof ReportInFlightError) {
        console.error(`forget: ${err.message}`);
        return 1;
      }
      throw err;
    } finally {
      await Promise.all([ticketQueue.close(), notificationQueue.close()]);
    }
  });
}

async function whatsappCommand(args: string[]): Promise<void> {
  if (args[0] !== 'logout') throw new UsageError('whatsapp: expected `whatsapp logout`');
  const cfg = config();
  const logger = createLogger('warn', process.stderr);
  const result = await withServiceRedis(cfg, logger, (redis) =>
    logoutWhatsApp({
      redis,
      keys: new Keys(),
      library: loadWhatsAppLibrary,
      dataPath: resolve(join(cfg.DATA_DIR, 'whatsapp')),
      chromiumPath: cfg.WHATSAPP_CHROMIUM_PATH,
    }),
  );
  const said = {
    logged_out_by_holder: 'Logged out. The running service now shows a new QR code to link a number.',
    logged_out: 'Logged out; the saved session is removed.',
    not_linked: 'No linked WhatsApp session was found; nothing to log out.',
  };
  console.log(said[result]);
}

/** Runs the command line; returns the exit code (start keeps running and returns null). */
export async function main(argv: string[]): Promise<number | null> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        await start(rest);
        return null;
      case 'flows':
        if (rest[0] !== 'check') throw new UsageError('flows: expected `flows check`');
        return await flowsCheck(rest.slice(1));
      case 'agency-key':
        await agencyKey(rest);
        return 0;
      case 'whatsapp':
        await whatsappCommand(rest);
        return 0;
      case 'queues':
        await queues(rest);
        return 0;
      case 'webhook':
        await webhook(rest);
        return 0;
      case 'forget':
        return await forget(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      console.error(err instanceof UsageError ? `${err.message}\n\n${USAGE}` : err.message);
      return 2;
    }
    if (err instanceof EmbeddedRedisError || (err as Error)?.name === 'FlowSetError') {
      console.error((err as Error).message);
      return 1;
    }
    throw err;
  }
}

const code = await main(process.argv.slice(2));
if (code !== null) process.exit(code);

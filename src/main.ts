import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { AttachmentStore } from './attachments/attachment-store.ts';
import { attachmentGraceMs, createAttachmentSweeper } from './attachments/attachment-sweep.ts';
import { createAttachmentResolver, type MediaFetcher } from './attachments/resolve-attachments.ts';
import { ApiKeys } from './auth/api-keys.ts';
import { ChannelRegistry } from './channels/channel.ts';
import { TelegramChannel } from './channels/telegram/telegram-channel.ts';
import { WebChatAdapter, WebChatHub } from './channels/web/web-chat.ts';
import { whatsappAdminRoutes } from './channels/whatsapp/whatsapp-admin.ts';
import { WhatsAppChannel, type WhatsAppTimings } from './channels/whatsapp/whatsapp-channel.ts';
import { loadWhatsAppLibrary, type WhatsAppLibrary } from './channels/whatsapp/whatsapp-library.ts';
import { printQrInTerminal } from './channels/whatsapp/whatsapp-qr.ts';
import type { WhatsAppCloudChannel } from './channels/whatsapp-cloud/cloud-channel.ts';
import { createWhatsAppCloudChannel } from './channels/whatsapp-cloud/cloud-setup.ts';
import { CloudState } from './channels/whatsapp-cloud/cloud-state.ts';
import type { Config } from './config/config.ts';
import type { FlowCatalog } from './engine/engine.ts';
import { watchFlows } from './flows/flow-watcher.ts';
import { type FlowSet, loadFlowSet } from './flows/loader.ts';
import { adminApi } from './http/admin-api.ts';
import { queueDashboardRoutes } from './http/admin-dashboard.ts';
import { agencyApi } from './http/agency-api.ts';
import { createApp } from './http/app.ts';
import { authFailureLimit } from './http/auth-failure-limit.ts';
import { healthRoutes } from './http/health-routes.ts';
import { inboxRoutes } from './http/inbox-routes.ts';
import { metricsRoute } from './http/metrics-route.ts';
import { webChatRoutes } from './http/webchat-routes.ts';
import { InboundChain } from './inbound/inbound-chain.ts';
import { type Logger, setLogHashKey } from './log/logger.ts';
import { countNotificationFailure, createMetrics } from './observability/metrics.ts';
import { Open311Query } from './open311/open311-query.ts';
import { open311Routes } from './open311/open311-routes.ts';
import { type ForgetChatDeps, forgetChat } from './privacy/forget-chat.ts';
import { openQueues, QUEUE, type Queues, ticketJobId } from './queue/queues.ts';
import { chatJobsIn } from './queue/remove-chat-jobs.ts';
import { startWorkers, type Workers } from './queue/workers.ts';
import { type EmbeddedRedis, startEmbeddedRedis } from './redis/embedded.ts';
import { Keys } from './redis/keys.ts';
import { type ScriptedRedis, withScripts } from './redis/scripts.ts';
import { createIdleSweeper } from './sessions/idle-sweeper.ts';
import { rememberRatingAsked } from './sessions/remember-rating.ts';
import { SessionStore } from './sessions/session-store.ts';
import { closeUnanswered } from './tickets/auto-close.ts';
import type { DeadlinePolicy } from './tickets/deadlines.ts';
import { createReporterFollowUp } from './tickets/reporter-follow-up.ts';
import { TicketQuery } from './tickets/ticket-query.ts';
import { TicketService } from './tickets/ticket-service.ts';
import { TicketStore } from './tickets/ticket-store.ts';
import { WorkingDays } from './tickets/working-days.ts';
import { inboundHookRoutes } from './webhooks/inbound-hook.ts';
import { WebhookDelivery } from './webhooks/webhook-delivery.ts';
import { webhookJobOptions } from './webhooks/webhook-job.ts';
import { createWebhookPublisher } from './webhooks/webhook-publisher.ts';
import { WebhookSettings } from './webhooks/webhook-settings.ts';

/** How long requests in flight may take to finish at shutdown before their connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000;

/** What one process does: everything (default), only chat intake, only queue work, only the agency API. */
export type Role = 'all' | 'bot' | 'worker' | 'api';
export const ROLES: readonly Role[] = ['all', 'bot', 'worker', 'api'];

export interface StartOptions {
  role?: Role;
  logger: Logger;
  /** Key prefix in Redis; tests give each run its own. */
  keyPrefix?: string;
  /** How often the idle sweep runs (ms). */
  sweepEveryMs?: number;
  /** Spacing of Telegram messages to one chat (default 1000 ms, Telegram's guidance); tests shorten it. */
  telegramChatIntervalMs?: number;
  /** How long reading one web chat upload's body may take (default 60 s); tests shorten it. */
  uploadReadMs?: number;
  /**
   * Called when a part fails for good after start-up (Telegram refusing long polling: 401, 409),
   * once the process has shut down cleanly; the CLI exits 1 then, so a supervisor restarts it.
   */
  onFatal?: (err: unknown) => void;
  /** WhatsApp (with WHATSAPP_ENABLED): tests pass a fake library, short timings and a quiet QR printer. */
  whatsapp?: {
    library?: WhatsAppLibrary;
    timings?: Partial<WhatsAppTimings>;
    onQr?: (qr: string) => void;
    /** With WHATSAPP_TRANSPORT=cloud: the 24-hour window's clock, and waits after a rate limit. */
    cloud?: { now?: () => number; retryDelaysMs?: number[] };
  };
}

/** A running Aduan process: its address, its parts (for tests and the CLI), and how to stop it. */
export interface Aduan {
  /** `http://HOST:PORT` when this role serves HTTP. */
  url: string | null;
  redisUrl: string;
  keys: Keys;
  redis: ScriptedRedis;
  /** The flows in use now (they change when the files do, with FLOWS_WATCH). */
  readonly flows: FlowSet;
  queues: Queues;
  tickets: TicketStore;
  service: TicketService;
  apiKeys: ApiKeys;
  sessions: SessionStore;
  chain: InboundChain;
  workers: Workers | null;
  /** The channels this process delivers through (web always; Telegram, WhatsApp when configured). */
  channels: ChannelRegistry;
  /** The Telegram channel, when TELEGRAM_BOT_TOKEN is set. */
  telegram: TelegramChannel | null;
  /** The WhatsApp channel, when WHATSAPP_ENABLED (holding the session only in a `bot`/`all` process). */
  whatsapp: WhatsAppChannel | null;
  /** The WhatsApp channel over the Cloud API, when WHATSAPP_ENABLED with WHATSAPP_TRANSPORT=cloud. */
  whatsappCloud: WhatsAppCloudChannel | null;
  /** Sends due idle reminders and expires abandoned drafts as of `now` (the housekeeping job runs it every minute). */
  sweepIdle: (now: Date) => Promise<void>;
  stop(): Promise<void>;
}

/** Connects to `REDIS_URL`, or starts the embedded redis-server under `DATA_DIR`. */
export async function resolveRedis(
  config: Config,
  logger: Logger,
): Promise<{ url: string; embedded: EmbeddedRedis | null }> {
  if (config.REDIS_URL) return { url: config.REDIS_URL, embedded: null };
  const embedded = await startEmbeddedRedis({ dataDir: config.DATA_DIR, logger });
  return { url: embedded.url, embedded };
}

/**
 * What a deletion request (UU PDP) works with: the chat's conversation and keys, its tickets, the
 * queue jobs that carry its address, and the WhatsApp Cloud records kept per number. Shared by the
 * service (admin API, the citizen's own request) and `aduan forget`.
 */
export function forgetChatDeps(parts: {
  redis: ScriptedRedis;
  keys: Keys;
  sessions: SessionStore;
  tickets: TicketStore;
  queues: Pick<Queues, 'tickets' | 'notifications'>;
}): ForgetChatDeps {
  const cloud = new CloudState(parts.redis, parts.keys);
  return {
    redis: parts.redis,
    keys: parts.keys,
    sessions: parts.sessions,
    tickets: parts.tickets,
    now: () => new Date(),
    jobs: chatJobsIn(parts.queues),
    channelKeys: async (address) => (address.channel === 'whatsapp' ? cloud.keysOfChat(address.chatId) : []),
  };
}

/**
 * The composition root: the only place where parts are wired together. Starts what `role` needs and
 * returns a handle whose `stop()` shuts down in order — stop taking messages, finish running jobs,
 * close Redis, stop the embedded redis-server.
 */
export async function startAduan(config: Config, options: StartOptions): Promise<Aduan> {
  const role = options.role ?? 'all';
  const log = options.logger;
  if (config.LOG_HASH_SECRET) setLogHashKey(config.LOG_HASH_SECRET);
  const runs = (r: Exclude<Role, 'all'>) => role === 'all' || role === r;

  let flows = await loadFlowSet(config.FLOWS_DIR);
  let catalog: FlowCatalog = { flows: flows.flows };
  const describeFlows = (set: FlowSet) => [...set.flows.values()].map((f) => `${f.id}@${f.version}`);
  log.info({ flows: describeFlows(flows) }, 'flows loaded');

  const { url: redisUrl, embedded } = await resolveRedis(config, log);
  const stoppers: (() => Promise<unknown>)[] = [];
  if (config.FLOWS_WATCH) {
    const unwatch = watchFlows({
      dir: config.FLOWS_DIR,
      onReload: (set) => {
        flows = set;
        catalog = { flows: set.flows };
        log.info({ flows: describeFlows(set) }, 'flows reloaded');
      },
      onInvalid: (errors) =>
        log.warn(
          { errors: errors.map((e) => e.message) },
          'changed flows do not validate; keeping the running ones',
        ),
    });
    stoppers.push(async () => unwatch());
  }
  const keys = new Keys(options.keyPrefix ?? 'aduan');
  const onRedisError = (which: string) => (err: Error) =>
    log.warn({ connection: which, error: err.message }, 'redis connection error');
  // A command fails after a few reconnection attempts instead of waiting for ever: the citizen's
  // message is then answered 5xx and sent again by the page (or Telegram), which is safe.
  const redis = withScripts(new Redis(redisUrl, { connectionName: 'aduan', maxRetriesPerRequest: 5 }));
  redis.on('error', onRedisError('commands'));
  // BullMQ needs its own connection with unlimited retries: workers must wait out a Redis restart.
  const bull = new Redis(redisUrl, { maxRetriesPerRequest: null, connectionName: 'aduan-bull' });
  bull.on('error', onRedisError('bullmq'));

  const attachments = new AttachmentStore(resolve(join(config.DATA_DIR, 'attachments')));
  // Channels that hold files on their platform register how to fetch them (Telegram's getFile).
  const mediaFetchers = new Map<string, MediaFetcher>();
  const sessions = new SessionStore(redis, keys, {
    draftTtlSeconds: config.SESSION_EXPIRY_HOURS * 3600 + 3600,
  });
  const tickets = new TicketStore(redis, keys);
  const apiKeys = new ApiKeys(redis, keys);
  const workingDays = new WorkingDays(config.TIMEZONE, config.EXTRA_HOLIDAYS);
  const deadlines: DeadlinePolicy = {
    verificationDays: config.DEADLINE_VERIFICATION_DAYS,
    firstResponseDays: config.DEADLINE_FIRST_RESPONSE_DAYS,
    completionDays: config.DEADLINE_COMPLETION_DAYS,
  };
  const query = new TicketQuery(redis, keys, workingDays, () => deadlines);
  // Producers get their own connection that gives up like the command connection does; only the
  // workers' connection waits out an outage indefinitely (BullMQ requires it of workers).
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: 5, connectionName: 'aduan-queue' });
  producer.on('error', onRedisError('queue'));
  const queues = openQueues(producer, keys.bull);
  const everyQueue = [queues.tickets, queues.notifications, queues.housekeeping, queues.webhooks];
  // A Queue re-emits its connection's errors; with no listener BullMQ prints each one to stderr with
  // a stack trace (dozens a second while Redis is down). The producer connection logs them already.
  for (const queue of everyQueue)
    queue.on('error', (err) => log.debug({ queue: queue.name, error: err.message }, 'queue error'));
  const metrics = createMetrics({ redis, keys, queues: everyQueue, logger: log });
  const webhookSettings = new WebhookSettings(redis, keys);
  const service = new TicketService({
    store: tickets,
    routing: () => flows.routing,
    randomBytes: (n) => randomBytes(n),
    resolveAttachments: createAttachmentResolver(attachments, mediaFetchers),
    now: () => new Date(),
    onRatingAsked: (ticket) =>
      rememberRatingAsked(sessions, ticket, () => service.mayNotifyReporter(ticket.trackingId)),
    enqueueNotification: async (job, jobId) => {
      await queues.notifications.add('notify', job, { jobId });
    },
    publishEvent: createWebhookPublisher({
      settings: webhookSettings,
      enqueue: async (job, jobId) => {
        await queues.webhooks.add('webhook', job, {
          ...webhookJobOptions(config.WEBHOOK_RETRY_DELAY_SECONDS * 1000),
          jobId,
        });
      },
    }),
  });

  const channels = new ChannelRegistry().register(new WebChatAdapter(redis, keys));
  let telegram: TelegramChannel | null = null;
  if (config.TELEGRAM_BOT_TOKEN) {
    telegram = new TelegramChannel({
      token: config.TELEGRAM_BOT_TOKEN,
      apiRoot: config.TELEGRAM_API_ROOT,
      apiTimeoutMs: config.TELEGRAM_API_TIMEOUT_SECONDS * 1000,
      pollingRetryMs: config.TELEGRAM_POLLING_RETRY_SECONDS * 1000,
      // Polling refused for good (logged at error by the channel): shut down cleanly rather than
      // half-run deaf, as when start() fails; the CLI then exits 1.
      onPollingStopped: (err) => {
        stop().then(
          () => options.onFatal?.(err),
          (stopErr: Error) => {
            log.error({ error: stopErr.message }, 'shutdown failed');
            options.onFatal?.(err);
          },
        );
      },
      ...(config.TELEGRAM_WEBHOOK_URL && config.TELEGRAM_WEBHOOK_SECRET
        ? { webhook: { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET } }
        : {}),
      handle: (envelope) => chain.handle(envelope),
      firstTimeInGroup: async (chatId) =>
        (await redis.set(keys.telegramGroupNoticed(chatId), '1', 'EX', 30 * 24 * 3600, 'NX')) === 'OK',
      chatLanguage: async (chatId) =>
        (await sessions.load(`telegram:${chatId}`, Date.now())).session?.lang ?? null,
      logger: log.child({ channel: 'telegram' }),
      ...(options.telegramChatIntervalMs !== undefined
        ? { perChatIntervalMs: options.telegramChatIntervalMs }
        : {}),
    });
    channels.register(telegram);
    mediaFetchers.set('telegram', telegram.fetchMedia);
  }
  /** A chat's language, and whether its current question asks for files (uploads are refused otherwise). */
  const chatState = async (chat: string) => {
    const { session } = await sessions.load(chat, Date.now());
    const step =
      session?.flowId && session.stepId
        ? catalog.flows.get(session.flowId)?.stepsById.get(session.stepId)
        : undefined;
    return { lang: session?.lang ?? ('id' as const), expectsFiles: step?.kind === 'media' };
  };
  let whatsapp: WhatsAppChannel | null = null;
  let whatsappCloud: WhatsAppCloudChannel | null = null;
  if (config.WHATSAPP_ENABLED && config.WHATSAPP_TRANSPORT === 'cloud') {
    // Plain HTTP both ways: every role sends, and any bot instance takes Meta's webhook.
    whatsappCloud = createWhatsAppCloudChannel(config, {
      redis,
      keys,
      handle: (envelope) => chain.handle(envelope),
      chatState: (chatId) => chatState(`whatsapp:${chatId}`),
      attachments,
      onDeliveryFailed: (trackingId, reason, gone) =>
        gone
          ? service.recordUnreachable(trackingId, reason)
          : service.recordDeliveryFailed(trackingId, reason),
      mayNotify: (trackingId) => service.mayNotifyReporter(trackingId),
      logger: log.child({ channel: 'whatsapp' }),
      ...options.whatsapp?.cloud,
    });
    channels.register(whatsappCloud);
  } else if (config.WHATSAPP_ENABLED) {
    // Every role can send (through the relay); only a bot process competes to hold the session.
    whatsapp = new WhatsAppChannel({
      library: options.whatsapp?.library ?? (await loadWhatsAppLibrary()),
      redis,
      keys,
      handle: (envelope) => chain.handle(envelope),
      chatState: (chatId) => chatState(`whatsapp:${chatId}`),
      attachments,
      logger: log.child({ channel: 'whatsapp' }),
      dataPath: resolve(join(config.DATA_DIR, 'whatsapp')),
      chromiumPath: config.WHATSAPP_CHROMIUM_PATH,
      onQr: options.whatsapp?.onQr ?? ((qr) => printQrInTerminal(qr)),
      timings: {
        backlogMs: config.WHATSAPP_BACKLOG_MINUTES * 60_000,
        sendTimeoutMs: config.WHATSAPP_SEND_TIMEOUT_SECONDS * 1000,
        ...options.whatsapp?.timings,
      },
    });
    channels.register(whatsapp);
  }
  // A deletion request (admin API, or the citizen in the chat).
  const forgetDeps = forgetChatDeps({ redis, keys, sessions, tickets, queues });
  const chain = new InboundChain({
    catalog: () => catalog,
    sessions,
    tickets,
    channels,
    submit: async (submission, reporter) => {
      await queues.tickets.add(
        'ticket',
        { submission, reporter },
        { jobId: ticketJobId(submission.submissionId) },
      );
    },
    logger: log,
    now: () => new Date(),
    newId: () => randomUUID().replaceAll('-', ''),
    timeZone: config.TIMEZONE,
    messagesPerMinute: config.CHAT_MESSAGES_PER_MINUTE,
    followUp: createReporterFollowUp(service, tickets),
    // The citizen's own deletion request runs the operator's use case (admin API, CLI).
    forget: (address) => forgetChat(forgetDeps, address),
    onTurn: metrics.observeTurn,
    keepFiles: async (refs) => {
      await Promise.all(refs.map((ref) => attachments.touch(ref)));
    },
  });

  const sweep = createIdleSweeper({
    sessions,
    channels,
    catalog: () => catalog,
    logger: log,
    reminderAfterMs: config.SESSION_REMINDER_MINUTES * 60_000,
    expireAfterMs: config.SESSION_EXPIRY_HOURS * 3_600_000,
  });
  // Files no ticket keeps, once well past any draft's life, and temporary files a crash left.
  const sweepAttachments = createAttachmentSweeper({
    redis,
    keys,
    dir: attachments.dir,
    graceMs: attachmentGraceMs(config.SESSION_EXPIRY_HOURS),
    logger: log,
  });
  let workers: Workers | null = null;
  if (runs('worker')) {
    workers = startWorkers({
      connection: bull,
      prefix: keys.bull,
      service,
      channels,
      logger: log,
      lockMs: config.JOB_LOCK_SECONDS * 1000,
      webhooks: new WebhookDelivery({
        settings: webhookSettings,
        now: () => new Date(),
        timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000,
      }),
      // Every minute: idle reminders and expiry, reports a stopped process left unqueued,
      // resolved reports no one answered, and (bounded work per run) attachments nothing needs.
      housekeeping: async (now) => {
        await sweep(now);
        const queued = await chain.queuePendingReports(now.getTime() - 30_000);
        if (queued > 0) log.warn({ queued }, 'queued reports left pending by an earlier process');
        const closed = await closeUnanswered(
          { redis, keys, store: tickets, service, days: workingDays },
          config.AUTO_CLOSE_DAYS,
          now,
        );
        if (closed > 0) log.info({ closed }, 'closed resolved reports the reporter did not answer');
        await sweepAttachments(now);
      },
      onGaveUp: (queue) => {
        if (queue !== QUEUE.notifications) return;
        countNotificationFailure(redis, keys).catch((err: Error) =>
          log.warn({ error: err.message }, 'could not count a failed notification'),
        );
      },
    });
    await queues.housekeeping.upsertJobScheduler(
      'idle-sweep',
      { every: options.sweepEveryMs ?? 60_000 },
      { name: 'idle-sweep' },
    );
  }

  let hub: WebChatHub | null = null;
  let server: Server | null = null;
  let url: string | null = null;
  if (runs('bot') || runs('api')) {
    const routers = [
      healthRoutes({
        checks: {
          redis: async () => (await redis.ping()) === 'PONG',
          ...(workers ? { workers: async () => workers?.running() ?? false } : {}),
          ...(whatsapp && runs('bot') ? { whatsapp: async () => whatsapp?.healthy ?? false } : {}),
        },
      }),
      // Before every router that asks for a key or token: it counts their 401s per address.
      authFailureLimit({ failuresPerWindow: config.AUTH_FAILURES_PER_10_MINUTES_PER_IP }),
    ];
    if (runs('bot')) {
      hub = new WebChatHub(redis, redis.duplicate({ connectionName: 'aduan-web-sub' }), keys, log);
      await hub.start();
      routers.push(
        webChatRoutes({
          chain,
          hub,
          attachments,
          requestsPerMinutePerIp: config.WEB_REQUESTS_PER_MINUTE_PER_IP,
          streamsPerIp: config.WEB_STREAMS_PER_IP,
          streamsPerProcess: config.WEB_STREAMS_PER_PROCESS,
          ...(options.uploadReadMs ? { uploadReadMs: options.uploadReadMs } : {}),
          expectsFiles: async (chatId) => {
            const { session } = await sessions.load(`web:${chatId}`, Date.now());
            const step =
              session?.flowId && session.stepId
                ? catalog.flows.get(session.flowId)?.stepsById.get(session.stepId)
                : undefined;
            return step?.kind === 'media';
          },
        }),
      );
    }
    if (runs('bot') && telegram && config.TELEGRAM_WEBHOOK_URL) routers.push(telegram.webhookRouter());
    if (runs('bot') && whatsappCloud) routers.push(whatsappCloud.webhookRouter());
    if (runs('bot') && whatsapp && config.ADMIN_TOKEN)
      routers.push(whatsappAdminRoutes({ redis, keys, adminToken: config.ADMIN_TOKEN }));
    if (runs('api')) {
      routers.push(
        agencyApi({
          apiKeys,
          query,
          service,
          attachments,
          requestsPerMinutePerKey: config.API_REQUESTS_PER_MINUTE_PER_KEY,
          now: () => new Date(),
        }),
        adminApi({
          apiKeys,
          adminToken: config.ADMIN_TOKEN,
          knownAgency: (id) => flows.routing.agencies.some((a) => a.id === id),
          forgetChat: (address) => forgetChat(forgetDeps, address),
        }),
        // The agency inbox page lives with the API it calls, so an api-only process serves it too.
        inboxRoutes({ routing: () => flows.routing, timeZone: config.TIMEZONE }),
      );
    }
    if (runs('api')) {
      // Agencies' systems: signed status changes in, and Open311 GeoReport v2.
      routers.push(
        inboundHookRoutes({
          settings: webhookSettings,
          redis,
          keys,
          tickets,
          service,
          now: () => new Date(),
          log,
        }),
        open311Routes({
          routing: () => flows.routing,
          query: new Open311Query(redis, keys),
          apiKeys,
          // The agency API's per-key limit applies to Open311 POSTs too: each one makes a ticket.
          requestsPerMinutePerKey: config.API_REQUESTS_PER_MINUTE_PER_KEY,
          enqueueTicket: async (job) => {
            await queues.tickets.add('ticket', job, { jobId: ticketJobId(job.submission.submissionId) });
          },
          ticketOfSubmission: (submissionId) => tickets.bySubmission(submissionId),
          submissionQueued: async (submissionId) =>
            (await queues.tickets.getJob(ticketJobId(submissionId))) !== undefined,
          now: () => new Date(),
          ...(config.PUBLIC_URL ? { publicUrl: config.PUBLIC_URL } : {}),
        }),
      );
    }
    // Operations, on every process that serves HTTP: the figures are the deployment's (read from Redis).
    routers.push(
      metricsRoute({ registry: metrics.registry, tokens: [config.METRICS_TOKEN, config.ADMIN_TOKEN] }),
    );
    if (config.ADMIN_TOKEN)
      routers.push(queueDashboardRoutes({ queues: everyQueue, adminToken: config.ADMIN_TOKEN }));
    const app = createApp({ routers, serveWebChat: runs('bot'), logger: log });
    server = await new Promise<Server>((ok, fail) => {
      const s = app.listen(config.PORT, config.HOST, () => ok(s));
      s.once('error', fail);
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
    log.info({ url, role }, 'listening');
  }

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      log.info('shutting down');
      // 1. Stop taking messages: no new connections, no more polling. Requests in flight finish
      //    (their turns are saved and answered); open event streams are ended, as they never end
      //    by themselves. Whatever is still open after the grace period is cut.
      const drained = server ? new Promise((ok) => server?.close(ok)) : Promise.resolve();
      server?.closeIdleConnections();
      await Promise.all([telegram?.stop(), hub?.stop(), whatsapp?.stop()]);
      const grace = setTimeout(() => server?.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await drained;
      clearTimeout(grace);
      // 2. Let running jobs finish, then close Redis and the embedded redis-server.
      await workers?.close();
      await queues.close();
      for (const stopper of stoppers) await stopper();
      await Promise.allSettled([redis.quit(), bull.quit(), producer.quit()]);
      await embedded?.stop();
      log.info('stopped');
    })();
    return stopping;
  };

  // After the HTTP server: in webhook mode Telegram starts posting as soon as the webhook is set.
  if (telegram && runs('bot')) {
    try {
      await telegram.start();
    } catch (err) {
      // A wrong token or an unreachable Bot API: shut down cleanly rather than half-run.
      await stop();
      throw err;
    }
  }

  if (whatsapp && runs('bot')) {
    if (!config.ADMIN_TOKEN)
      log.warn('ADMIN_TOKEN is not set: the WhatsApp QR code is shown in the terminal only');
    whatsapp.start();
  }
  // One line that says this process is up, whatever its role (a worker serves no HTTP to probe).
  log.info({ role }, 'started');

  return {
    url,
    redisUrl,
    keys,
    redis,
    get flows() {
      return flows;
    },
    queues,
    tickets,
    service,
    apiKeys,
    sessions,
    chain,
    workers,
    channels,
    telegram,
    whatsapp,
    whatsappCloud,
    sweepIdle: sweep,
    stop,
  };
}

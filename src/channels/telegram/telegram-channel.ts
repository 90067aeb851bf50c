import { autoRetry } from '@grammyjs/auto-retry';
import { type RunnerHandle, run, sequentialize } from '@grammyjs/runner';
import { apiThrottler } from '@grammyjs/transformer-throttler';
import express, { type Router } from 'express';
import { Bot, GrammyError, HttpError, type Transformer } from 'grammy';
import type { Update } from 'grammy/types';
import { AttachmentRejected, MAX_ATTACHMENT_BYTES } from '../../attachments/attachment-store.ts';
import type { MediaFetcher } from '../../attachments/resolve-attachments.ts';
import { secretsEqual } from '../../auth/secrets-equal.ts';
import type { Lang, Outbound } from '../../engine/types.ts';
import type { InboundEnvelope, InboundOutcome } from '../../inbound/inbound-chain.ts';
import { hashId, type Logger } from '../../log/logger.ts';
import { type ChannelAdapter, PermanentDeliveryError } from '../channel.ts';
import { updateToInbound } from './telegram-inbound.ts';
import { renderForTelegram } from './telegram-outbound.ts';

/** The updates Aduan asks Telegram for; edits, channel posts and the rest are not even fetched. */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** Where Telegram posts updates in webhook mode. */
export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';

export interface TelegramChannelOptions {
  token: string;
  /** The Bot API server: Telegram's, a local Bot API server, or a test emulator. */
  apiRoot: string;
  /** Webhook mode when set; long polling otherwise. */
  webhook?: { url: string; secret: string };
  /** The inbound chain. */
  handle: (envelope: InboundEnvelope) => Promise<InboundOutcome>;
  /** True the first time a group is seen, so a group gets the "talk to me privately" note once. */
  firstTimeInGroup: (chatId: string) => Promise<boolean>;
  /**
   * The language the chat's conversation is in (null before it has one), for the few answers the
   * adapter gives itself: a citizen who chose Bahasa Indonesia on a phone set to English is answered
   * in Bahasa Indonesia.
   */
  chatLanguage?: (chatId: string) => Promise<Lang | null>;
  logger: Logger;
  /** Spacing of messages to one chat (Telegram: about one a second; short bursts tolerated). */
  perChatIntervalMs?: number;
  /**
   * How long one Bot API call may take; default 20 000. getUpdates may take its long-poll wait
   * (30 s) longer.
   */
  apiTimeoutMs?: number;
  /** Long polling: the steady wait between getUpdates attempts while they fail; default 5 000. */
  pollingRetryMs?: number;
  /**
   * Long polling ended for good: Telegram refused it with 401 (the token was revoked) or 409
   * (another process polls with this token, or a webhook was set). Already logged at error.
   */
  onPollingStopped?: (err: unknown) => void;
}

/** The commands shown in Telegram's menu, per language (Indonesian is also the default). */
const COMMANDS = {
  id: [
    { command: 'lapor', description: 'Sampaikan laporan baru' },
    { command: 'status', description: 'Cek status laporan (contoh: /status ADU-7KQ2-M9XF)' },
    { command: 'batal', description: 'Batalkan laporan yang sedang dibuat' },
    { command: 'bantuan', description: 'Bantuan' },
    { command: 'bahasa', description: 'Ganti bahasa / Change language' },
    { command: 'hapus', description: 'Hapus data saya (UU PDP)' },
  ],
  en: [
    { command: 'lapor', description: 'Submit a new report' },
    { command: 'status', description: 'Check a report (e.g. /status ADU-7KQ2-M9XF)' },
    { command: 'batal', description: 'Cancel the report in progress' },
    { command: 'bantuan', description: 'Help' },
    { command: 'bahasa', description: 'Change language / Ganti bahasa' },
    { command: 'delete', description: 'Delete my data' },
  ],
};

const UNSUPPORTED = {
  id: 'Mohon maaf, jenis pesan ini belum dapat kami proses. Silakan tulis pesan Bapak/Ibu dalam bentuk teks, atau kirim foto/dokumen bila diminta.',
  en: 'Sorry, we cannot process this kind of message yet. Please write your message as text, or send a photo/document when asked.',
};

/**
 * How long `stop` waits for updates in hand: within Docker's default 10 s before SIGKILL (the
 * compose file gives 30 s), and long enough for a turn that is only waiting on Telegram.
 */
const STOP_WAIT_MS = 8_000;

/** Polling mode: attempts at one update before giving up on it (a Redis restart takes a few seconds). */
const POLLING_ATTEMPTS = 6;

/** The default of `apiTimeoutMs` (TELEGRAM_API_TIMEOUT_SECONDS). */
const DEFAULT_API_TIMEOUT_MS = 20_000;

/** The default of `pollingRetryMs` (TELEGRAM_POLLING_RETRY_SECONDS). */
const DEFAULT_POLLING_RETRY_MS = 5_000;

/** getUpdates answers the runner does not retry: it ends polling (see `onPollingStopped`). */
const POLLING_REFUSED = new Set([401, 409]);

/**
 * Attempts, in all, at one Bot API call (getUpdates excepted) that fails at the network level: no
 * answer within `apiTimeoutMs`, or no connection. @grammyjs/auto-retry retries such an HttpError
 * forever (its `maxRetryAttempts` bounds only 429 and 5xx answers), waiting 3 s, 6 s, 12 s … up to
 * an hour, so while Telegram is unreachable a notification job would never fail (BullMQ's durable
 * retries would never start, and the job would hold its worker slot) and a shutdown would wait on
 * the update in hand. After these attempts (about 21 s of waits plus the timeouts) the call throws
 * `TelegramUnreachableError` instead: the notification job fails this attempt and BullMQ retries it
 * later, and a turn's replies stay in the session's outbox for the redelivery.
 */
export const MAX_NETWORK_ATTEMPTS = 4;

/**
 * A Bot API call that got no answer `MAX_NETWORK_ATTEMPTS` times. Not an HttpError, so auto-retry
 * passes it on; the message names the method only (no chat id, no token).
 */
export class TelegramUnreachableError extends Error {
  constructor(
    readonly method: string,
    attempts: number,
    options?: ErrorOptions,
  ) {
    super(`telegram ${method}: no answer after ${attempts} attempts`, options);
    this.name = 'TelegramUnreachableError';
  }
}

/**
 * An API transformer that lets one Bot API call (getUpdates excepted: the runner retries its long
 * poll) fail at the network level `maxAttempts` times, then turns the HttpError into a
 * `TelegramUnreachableError`, which auto-retry does not retry. It must sit inside auto-retry, which
 * calls it again with the same `payload` object for each attempt: the count is kept per payload.
 */
export function boundNetworkAttempts(
  maxAttempts: number,
  onGiveUp: (method: string) => void = () => undefined,
): Transformer {
  const failures = new WeakMap<object, number>();
  return async (prev, method, payload, signal) => {
    if (method === 'getUpdates' || typeof payload !== 'object' || payload === null)
      return prev(method, payload, signal);
    try {
      return await prev(method, payload, signal);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const failed = (failures.get(payload) ?? 0) + 1;
      if (failed < maxAttempts) {
        failures.set(payload, failed);
        throw err;
      }
      failures.delete(payload);
      onGiveUp(method);
      throw new TelegramUnreachableError(method, failed, { cause: err });
    }
  };
}

/**
 * An API transformer that gives each Bot API call its own time limit (grammY's is 500 s); getUpdates
 * gets its long-poll wait (its `timeout` parameter, 30 s from the runner) on top, so a poll lost on
 * the way (a dead keep-alive connection after a network outage) is abandoned within a minute and the
 * runner polls again, instead of the bot staying deaf for grammY's 500 s. It must be installed first,
 * so that it sits innermost: the timer then starts when the request is actually sent (not while the
 * throttler holds it), and @grammyjs/auto-retry, outside it, sees the abort as the HttpError grammY
 * turns it into and tries again, with a fresh timer for each attempt (up to `MAX_NETWORK_ATTEMPTS` in
 * all). A caller's own signal still aborts. `onTimeout` is not called for getUpdates: `PollingWatch`
 * reports polling failures, once per outage.
 */
export function callTimeout(ms: number, onTimeout: (method: string) => void = () => undefined): Transformer {
  return (prev, method, payload, given) => {
    const polling = method === 'getUpdates';
    const longPoll = polling ? (payload as { timeout?: unknown } | undefined)?.timeout : undefined;
    const limit = ms + (typeof longPoll === 'number' && longPoll > 0 ? longPoll * 1000 : 0);
    // The caller's signal may be the abort-controller polyfill's (the runner's, on getUpdates), which
    // AbortSignal.any() silently ignores: it is followed by hand. grammY only calls addEventListener
    // on the signal it gets and reads `aborted`, which Node's own AbortSignal has.
    const signal = given as unknown as AbortSignal | undefined;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, limit);
    const follow = () => controller.abort();
    if (signal?.aborted) controller.abort();
    else signal?.addEventListener('abort', follow, { once: true });
    return prev(method, payload, controller.signal as unknown as typeof given)
      .catch((err: unknown) => {
        if (timedOut && !signal?.aborted && !polling) onTimeout(method);
        throw err;
      })
      .finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', follow);
      });
  };
}

/**
 * Applies `transformer` to every Bot API call but getUpdates. Used for @grammyjs/auto-retry: it
 * retries an HttpError for ever with a backoff that grows to an hour, and a 5xx answer five times
 * with growing waits, so behind it a poll that failed during an outage could come back up to an
 * hour after Telegram did. getUpdates failures go straight to the runner, which retries them at
 * the steady `pollingRetryMs` (no second retry loop).
 */
export function exceptGetUpdates(transformer: Transformer): Transformer {
  return (prev, method, payload, signal) =>
    method === 'getUpdates' ? prev(method, payload, signal) : transformer(prev, method, payload, signal);
}

/**
 * What a failed getUpdates says, for the log: grammY's message ("Network request for 'getUpdates'
 * failed!", "Call to 'getUpdates' failed! (502: Bad Gateway)"), never the token. For a network
 * failure, only the cause's code (ECONNREFUSED, ECONNRESET …) is added, never its message: node-fetch
 * names the URL there, and the URL holds the bot token.
 */
function pollingFailure(err: unknown): string {
  if (err instanceof HttpError) {
    const cause = err.error as { code?: unknown; name?: unknown } | null | undefined;
    const code =
      typeof cause?.code === 'string'
        ? cause.code
        : cause?.name === 'AbortError'
          ? 'no answer in time'
          : undefined;
    return code ? `${err.message} (${code})` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Watches the runner's getUpdates calls (as an API transformer, `transformer`), so that an outage
 * is logged once however long it lasts: `onFailing` at the first failed poll, `onRecovered` at the
 * first poll that works again, with how many failed in between. A poll aborted because polling is
 * stopping is no failure, and neither are 401 and 409, which end polling (`onPollingStopped`).
 */
export class PollingWatch {
  private failed = 0;
  private since = 0;

  constructor(
    private readonly report: {
      onFailing: (error: string) => void;
      onRecovered: (failedAttempts: number, downMs: number) => void;
    },
  ) {}

  /** True between a failed poll and the next one that works: the runner is retrying. */
  get failing(): boolean {
    return this.failed > 0;
  }

  readonly transformer: Transformer = async (prev, method, payload, signal) => {
    if (method !== 'getUpdates') return prev(method, payload, signal);
    let result: Awaited<ReturnType<typeof prev>>;
    try {
      result = await prev(method, payload, signal);
    } catch (err) {
      if (!signal?.aborted) this.fail(pollingFailure(err));
      throw err;
    }
    if (result.ok) this.succeed();
    else if (!POLLING_REFUSED.has(result.error_code))
      this.fail(`Call to 'getUpdates' failed! (${result.error_code}: ${result.description})`);
    return result;
  };

  private fail(error: string): void {
    if (this.failed++ === 0) {
      this.since = Date.now();
      this.report.onFailing(error);
    }
  }

  private succeed(): void {
    if (this.failed === 0) return;
    const failed = this.failed;
    this.failed = 0;
    this.report.onRecovered(failed, Date.now() - this.since);
  }
}

/** Joins consecutive messages where the earlier one has no buttons: fewer messages, same reading order. */
function mergeForTelegram(messages: readonly Outbound[]): Outbound[] {
  const merged: Outbound[] = [];
  for (const message of messages) {
    const last = merged[merged.length - 1];
    if (last && !last.choices?.length && !last.requestLocation)
      merged[merged.length - 1] = { ...message, text: `${last.text}\n\n${message.text}` };
    else merged.push(message);
  }
  return merged;
}

/**
 * The Telegram channel, with grammY. Translates updates into the inbound chain's messages and
 * Aduan's messages into Telegram's, and nothing else: no flow knowledge here.
 *
 * - Long polling with @grammyjs/runner (one chat's updates in order, chats in parallel), retried at
 *   a steady `pollingRetryMs` for as long as Telegram stays unreachable (one warning, one recovery
 *   line), or a webhook whose secret header is checked in constant time.
 * - Every call but getUpdates through auto-retry (429 waits `retry_after`; 5xx, network errors and
 *   calls that took longer than `apiTimeoutMs` retried, the last two `MAX_NETWORK_ATTEMPTS` times in
 *   all, then the send throws) and a throttler (overall, per group and per chat, within Telegram's
 *   published limits).
 * - 403 "blocked by the user" and "chat not found" are permanent: the notification worker records them.
 */
export class TelegramChannel implements ChannelAdapter {
  readonly name = 'telegram';
  readonly bot: Bot;
  private runner: RunnerHandle | undefined;
  /** Updates being handled (polling hands them over before they are done). */
  private readonly inHand = new Set<Promise<void>>();
  private readonly pollingRetryMs: number;
  private readonly polling: PollingWatch;

  constructor(private readonly options: TelegramChannelOptions) {
    this.bot = new Bot(options.token, { client: { apiRoot: options.apiRoot } });
    this.pollingRetryMs = options.pollingRetryMs ?? DEFAULT_POLLING_RETRY_MS;
    const retrySeconds = this.pollingRetryMs / 1000;
    this.polling = new PollingWatch({
      onFailing: (error) =>
        options.logger.warn(
          { error, retrySeconds },
          `telegram polling failed; retrying every ${retrySeconds} s`,
        ),
      onRecovered: (failedAttempts, downMs) =>
        options.logger.info(
          { failedAttempts, downSeconds: Math.round(downMs / 1000) },
          'telegram polling recovered',
        ),
    });
    // Installed first = innermost (each `use` wraps the calls installed before it): see callTimeout.
    // The attempt bound comes next, still inside auto-retry (see boundNetworkAttempts).
    const timeoutMs = options.apiTimeoutMs ?? DEFAULT_API_TIMEOUT_MS;
    this.bot.api.config.use(
      callTimeout(timeoutMs, (method) =>
        options.logger.warn({ method, timeoutMs }, 'telegram API call timed out'),
      ),
    );
    this.bot.api.config.use(
      boundNetworkAttempts(MAX_NETWORK_ATTEMPTS, (method) =>
        options.logger.warn(
          { method },
          `telegram API call got no answer after ${MAX_NETWORK_ATTEMPTS} attempts; giving up`,
        ),
      ),
    );
    this.bot.api.config.use(
      apiThrottler({ out: { maxConcurrent: 1, minTime: options.perChatIntervalMs ?? 1000 } }),
    );
    this.bot.api.config.use(exceptGetUpdates(autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 120 })));
    // Outermost: sees each poll's final outcome (only callTimeout, innermost, acts on getUpdates too).
    this.bot.api.config.use(this.polling.transformer);
    // First: every update handed to the bot is in hand until its handling ends (including one
    // still waiting behind another of its chat), so `stop` can wait for them.
    this.bot.use(async (_ctx, next) => {
      const handling = next();
      this.inHand.add(handling);
      try {
        await handling;
      } finally {
        this.inHand.delete(handling);
      }
    });
    this.bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
    this.bot.use(async (ctx) => this.onUpdate(ctx.update));
    this.bot.catch((err) => {
      options.logger.error(
        { error: err.error instanceof Error ? err.error.message : String(err.error) },
        'telegram update failed',
      );
    });
  }

  /**
   * Connects: checks the token (getMe), registers the command menu (a failure is logged, never
   * fatal), then sets the webhook or starts polling.
   */
  async start(): Promise<void> {
    const log = this.options.logger;
    await this.bot.init();
    log.info({ bot: this.bot.botInfo.username }, 'telegram bot connected');
    for (const language of ['id', 'en'] as const) {
      await this.bot.api
        .setMyCommands(COMMANDS[language], { language_code: language })
        .catch((err: Error) => log.warn({ language, error: err.message }, 'setMyCommands failed'));
    }
    await this.bot.api
      .setMyCommands(COMMANDS.id)
      .catch((err: Error) => log.warn({ error: err.message }, 'setMyCommands failed'));
    const webhook = this.options.webhook;
    if (webhook) {
      await this.bot.api.setWebhook(webhook.url, {
        secret_token: webhook.secret,
        allowed_updates: [...ALLOWED_UPDATES],
      });
      log.info('telegram webhook set');
      return;
    }
    await this.bot.api.deleteWebhook();
    this.runner = run(this.bot, {
      runner: {
        fetch: { allowed_updates: [...ALLOWED_UPDATES] },
        // A failed poll is tried again after this steady wait, for as long as it takes (the
        // runner's default doubles it from 100 ms without a cap).
        retryInterval: this.pollingRetryMs,
        // The runner gives up once polls have failed for `maxRetryTime` (default 15 h) and polling
        // then ends for good: a regional network outage of a day would silently end the bot.
        // Infinity: it never gives up on its own (the deadline it computes, now + Infinity, is never
        // reached); only 401 and 409 end polling.
        maxRetryTime: Number.POSITIVE_INFINITY,
        // No console.error per failed poll: PollingWatch logs an outage once, in our logger.
        silent: true,
      },
    });
    this.runner.task()?.catch((err: unknown) => {
      // The runner ended polling (only on 401 or 409): nothing more comes in through this process.
      log.error(
        {
          error: err instanceof Error ? err.message : String(err),
          ...(err instanceof GrammyError ? { code: err.error_code } : {}),
        },
        'telegram long polling refused for good; no more updates',
      );
      this.options.onPollingStopped?.(err);
    });
    log.info('telegram long polling started');
  }

  /**
   * Stops polling, then waits (up to `STOP_WAIT_MS`) for the updates in hand to be handled. The
   * runner's own stop returns once it fetches no more, not when what it fetched is done; and those
   * updates are already confirmed to Telegram, which will not send them again: a turn cut off by
   * the shutdown (its Redis connection closed under it) would be a citizen's message lost.
   */
  async stop(): Promise<void> {
    if (this.runner?.isRunning()) {
      const stopped = this.runner.stop();
      // While polls fail the runner has nothing in hand: it is waiting out `pollingRetryMs` (up to
      // 300 s), and only notices the stop after that wait. Nothing to wait for.
      if (this.polling.failing) stopped.catch(() => undefined);
      else await stopped;
    }
    if (this.inHand.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      Promise.allSettled([...this.inHand]).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), STOP_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (gaveUp)
      this.options.logger.warn({ updates: this.inHand.size }, 'telegram: stopped with updates still in hand');
  }

  /** The express route Telegram posts to in webhook mode; a request without the right secret is a 401. */
  webhookRouter(): Router {
    const router = express.Router();
    const secret = this.options.webhook?.secret;
    router.post(TELEGRAM_WEBHOOK_PATH, express.json({ limit: '1mb' }), async (req, res) => {
      const given = req.get('x-telegram-bot-api-secret-token') ?? '';
      if (!secret || !secretsEqual(given, secret)) {
        res.status(401).json({ error: { code: 'unauthorized', message: 'Wrong or missing secret token.' } });
        return;
      }
      const update = req.body as Update;
      if (typeof update?.update_id !== 'number') {
        res.status(400).json({
          error: { code: 'invalid_request', message: 'Not a Telegram update.', field: 'update_id' },
        });
        return;
      }
      // An error here answers 500, and Telegram delivers the update again (de-duplicated by its id).
      await this.bot.handleUpdate(update);
      res.status(200).json({ ok: true });
    });
    return router;
  }

  async send(chatId: string, messages: readonly Outbound[]): Promise<void> {
    for (const message of mergeForTelegram(messages)) {
      for (const part of renderForTelegram(message)) {
        const { text, ...other } = part;
        try {
          await this.bot.api.sendMessage(chatId, text, other);
        } catch (err) {
          throw this.classify(err);
        }
      }
    }
  }

  /** Downloads a file a citizen sent (getFile, then the file URL under the API root). */
  readonly fetchMedia: MediaFetcher = async (fileId) => {
    const file = await this.bot.api.getFile(fileId).catch((err) => {
      throw this.classify(err);
    });
    if ((file.file_size ?? 0) > MAX_ATTACHMENT_BYTES)
      throw new AttachmentRejected('too_large', 'The file is too large.');
    if (!file.file_path) throw new AttachmentRejected('empty_file', 'Telegram gave no file path.');
    const response = await fetch(`${this.options.apiRoot}/file/bot${this.options.token}/${file.file_path}`, {
      signal: AbortSignal.timeout(60_000),
    });
    if (!response.ok) throw new Error(`file download answered HTTP ${response.status}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > MAX_ATTACHMENT_BYTES)
      throw new AttachmentRejected('too_large', 'The file is too large.');
    return { bytes };
  };

  private classify(err: unknown): unknown {
    if (err instanceof GrammyError) {
      const gone =
        err.error_code === 403 ||
        (err.error_code === 400 && /chat not found|user is deactivated/i.test(err.description));
      if (gone) return new PermanentDeliveryError(this.name, err.description);
    }
    return err;
  }

  private async onUpdate(update: Update): Promise<void> {
    const log = this.options.logger;
    const t = updateToInbound(update, this.bot.botInfo.username);
    switch (t.kind) {
      case 'ignore':
        log.debug({ reason: t.reason }, 'telegram update ignored');
        return;
      case 'group':
        if (await this.options.firstTimeInGroup(t.chatId)) {
          const link = `https://t.me/${this.bot.botInfo.username}?start=lapor`;
          await this.send(t.chatId, [
            {
              text: `Untuk menyampaikan laporan, silakan hubungi saya melalui chat pribadi: ${link}\nTo report, please message me privately: ${link}`,
            },
          ]);
        }
        return;
      case 'unsupported': {
        const chosen = await this.options.chatLanguage?.(t.chatId).catch(() => null);
        const lang: Lang = chosen ?? (t.languageCode?.startsWith('en') ? 'en' : 'id');
        await this.send(t.chatId, [{ text: UNSUPPORTED[lang] }]);
        return;
      }
      case 'callback':
        // Answer first, so the citizen's button stops spinning whatever happens next.
        await this.bot.api.answerCallbackQuery(t.callbackId).catch(() => undefined);
        await this.deliver(t.chatId, t.messages);
        // Remove the pressed keyboard: an old button must not answer a later question.
        if (t.messageId)
          await this.bot.api.editMessageReplyMarkup(t.chatId, t.messageId).catch(() => undefined);
        return;
      case 'inbound':
        await this.deliver(t.chatId, t.messages);
        return;
    }
  }

  /**
   * Hands messages to the chain in order. In polling mode the update is already confirmed to
   * Telegram, so a failure (Redis restarting) is retried here with backoff instead of being lost;
   * in webhook mode the error goes back to Telegram, which delivers again.
   */
  private async deliver(
    chatId: string,
    messages: { messageId: string; inbound: InboundEnvelope['inbound'] }[],
  ): Promise<void> {
    for (const { messageId, inbound } of messages) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.options.handle({ channel: this.name, chatId, messageId, inbound });
          break;
        } catch (err) {
          if (this.options.webhook || attempt >= POLLING_ATTEMPTS) throw err;
          this.options.logger.warn(
            { chat: hashId(`telegram:${chatId}`), attempt, error: (err as Error).message },
            'telegram message not handled yet; retrying',
          );
          await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
        }
      }
    }
  }
}

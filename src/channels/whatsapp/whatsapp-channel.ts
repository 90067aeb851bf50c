import {
  AttachmentRejected,
  type AttachmentStore,
  MAX_ATTACHMENT_BYTES,
} from '../../attachments/attachment-store.ts';
import type { Inbound, Lang, Outbound } from '../../engine/types.ts';
import type { InboundEnvelope, InboundOutcome } from '../../inbound/inbound-chain.ts';
import { hashId, type Logger } from '../../log/logger.ts';
import type { Keys } from '../../redis/keys.ts';
import type { ScriptedRedis } from '../../redis/scripts.ts';
import { type ChannelAdapter, PermanentDeliveryError } from '../channel.ts';
import { Pacer } from './pacer.ts';
import { SessionLock } from './session-lock.ts';
import { messageToInbound, type WhatsAppInbound } from './whatsapp-inbound.ts';
import type { WhatsAppClient, WhatsAppLibrary, WhatsAppMessage } from './whatsapp-library.ts';
import { renderForWhatsApp } from './whatsapp-outbound.ts';
import { rejectedReply, unsupportedReply, WHATSAPP_REPLIES } from './whatsapp-replies.ts';

/**
 * Where the channel is: `standby` (another process holds the session, or none yet could),
 * `starting` (browser launching), `qr` (waiting for a phone to scan), `authenticated`, `ready`,
 * `reconnecting` (disconnected; a new client starts after a backoff), `stopped`.
 */
export type WhatsAppState =
  | 'standby'
  | 'starting'
  | 'qr'
  | 'authenticated'
  | 'ready'
  | 'reconnecting'
  | 'stopped';

/** Every delay the channel uses, in ms; tests shorten them. */
export interface WhatsAppTimings {
  /** Time to live of the session lock; a dead holder is replaced after at most this long. */
  lockTtlMs: number;
  renewEveryMs: number;
  /** How often a standby process tries to take the lock. */
  acquireEveryMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  perChatMs: number;
  overallMs: number;
  jitterMs: number;
  /** How often the holder sends what other processes left in the relay. */
  relayEveryMs: number;
  /** Messages sent this long before the client became ready are backlog and ignored. */
  backlogMs: number;
  /** First wait before handing a message to the chain again when Redis failed (doubles each time). */
  retryBaseMs: number;
  /**
   * How long one `sendMessage` may take before it is given up as a passing failure (a stuck page
   * never answers; puppeteer's own limit is 3 minutes): `WHATSAPP_SEND_TIMEOUT_SECONDS`.
   */
  sendTimeoutMs: number;
  /**
   * How long a new client may take to show a QR code, authenticate or become ready: whatsapp-web.js
   * `initialize()` can hang without a word (its own auth timeout is none). Past it the start counts
   * as failed and the client is restarted. A QR code on screen ends it: then a human is awaited.
   */
  startTimeoutMs: number;
  /**
   * Failed starts in a row (no QR code, never ready) after which the holder gives the session up
   * and releases the lock: another process, on a machine whose browser works, can take over.
   */
  handOverAfterFailures: number;
  /** How long a process that handed the session over leaves the lock to the others (at least 2× `acquireEveryMs`). */
  handOverCooldownMs: number;
}

export const DEFAULT_WHATSAPP_TIMINGS: WhatsAppTimings = {
  lockTtlMs: 30_000,
  renewEveryMs: 10_000,
  acquireEveryMs: 5_000,
  reconnectBaseMs: 2_000,
  reconnectMaxMs: 120_000,
  perChatMs: 1_500,
  overallMs: 500,
  jitterMs: 1_000,
  relayEveryMs: 1_000,
  backlogMs: 30 * 60_000,
  retryBaseMs: 500,
  sendTimeoutMs: 30_000,
  startTimeoutMs: 120_000,
  handOverAfterFailures: 5,
  handOverCooldownMs: 5 * 60_000,
};

export interface WhatsAppChannelOptions {
  /** whatsapp-web.js itself in production; a fake in tests. */
  library: WhatsAppLibrary;
  redis: ScriptedRedis;
  keys: Keys;
  /** The inbound chain. */
  handle: (envelope: InboundEnvelope) => Promise<InboundOutcome>;
  /** The chat's language, and whether its current question asks for files (so nothing else is downloaded). */
  chatState: (chatId: string) => Promise<{ lang: Lang; expectsFiles: boolean }>;
  attachments: AttachmentStore;
  logger: Logger;
  /** `LocalAuth` keeps the linked session here (`DATA_DIR/whatsapp`); it survives restarts. */
  dataPath: string;
  /** Debian's chromium; puppeteer's own download is skipped at install. */
  chromiumPath: string;
  /** Shown to the operator when a phone must scan: the terminal by default. */
  onQr?: (qr: string) => void;
  timings?: Partial<WhatsAppTimings>;
}

/** Text sends that did not go yet, kept in Redis for the session holder. */
interface RelayEntry {
  chatId: string;
  texts: string[];
  /** Failed sends so far, and holders that took the entry and never confirmed it (they died). */
  attempts: number;
}

/** Send attempts for a relayed message before it is dropped (logged). */
const RELAY_ATTEMPTS = 5;
/** Attempts at handing one message to the chain (Redis restarting); WhatsApp does not deliver again. */
const HANDLE_ATTEMPTS = 6;

/** Sends timed out one after another before the page is taken for dead and the client restarted. */
const STUCK_SENDS_BEFORE_RESTART = 3;

/** A send given up after `sendTimeoutMs`: a passing failure (it may still go through late). */
class SendTimedOut extends Error {
  constructor(ms: number) {
    super(`whatsapp send timed out after ${ms} ms`);
  }
}

/** A send whose turn came when this process no longer had a ready client: not an attempt. */
class NotReady extends Error {
  constructor() {
    super('whatsapp: this process does not hold a ready session');
  }
}

/** whatsapp-web.js errors that mean the address can never receive (no such user). */
const GONE = /invalid wid|wid error|no lid for user|not a whatsapp user|not registered/i;

/**
 * The WhatsApp channel over whatsapp-web.js (the unofficial WhatsApp Web client). Translates
 * messages in both directions and keeps the session:
 *
 * - One holder per number: a Redis lock with renewal and a fencing token. Standby processes try to
 *   take it every `acquireEveryMs`; the holder renews every `renewEveryMs`, and gives the session
 *   up (closes the browser) as soon as it can no longer be sure it holds the lock.
 * - Disconnects start a new client after an exponential backoff with jitter; `LocalAuth` keeps the
 *   link on disk, so no new QR is needed unless the phone unlinked it.
 * - A client that cannot come back does not keep the session: a start that shows nothing within
 *   `startTimeoutMs` is restarted, and after `handOverAfterFailures` failed starts in a row the
 *   holder releases the lock and stands by for `handOverCooldownMs`, so another process (whose
 *   browser may work) takes over. A QR code waiting for a scan is never a failure.
 * - Outbound is paced per chat and overall, with jitter, and each send has a time limit
 *   (`sendTimeoutMs`): a stuck page cannot hold the pacer, the relay and with them every chat; a
 *   timed-out send is relayed like any passing failure, and a few in a row restart the client.
 * - Processes that do not hold the session (a worker sending a status update) and the holder while
 *   reconnecting put messages in a Redis relay, sent by the holder when it is ready: nothing is
 *   lost to a disconnect. The holder takes them into an in-flight list and removes each only once
 *   sent, so nothing is lost to the holder's death either: the next holder sends what it left there
 *   first (at least once; see relayPass).
 * - Photos and documents are downloaded when they arrive (`message.downloadMedia()`), because only
 *   the holder's browser can fetch them and WhatsApp's copy expires; they are checked and stored
 *   like web uploads, and the engine gets a `file:` reference.
 */
export class WhatsAppChannel implements ChannelAdapter {
  readonly name = 'whatsapp';
  private readonly timings: WhatsAppTimings;
  private readonly lock: SessionLock;
  private readonly pacer: Pacer;
  private readonly log: Logger;
  private client: WhatsAppClient | null = null;
  /** Bumped for every client, so events of a client already given up are ignored. */
  private generation = 0;
  private current: WhatsAppState = 'standby';
  private qrCode: string | null = null;
  private readyAt = 0;
  private reconnects = 0;
  /** Starts in a row whose client failed before it showed a QR code or became ready. */
  private failedStarts = 0;
  /** The current client showed a QR code or became ready: its browser works. */
  private clientCameUp = false;
  /** Too many failed starts: the lock loop releases the lock at its next turn (see handOver). */
  private handOverDue = false;
  /** After a hand-over, this process does not try to take the lock before this time (epoch ms). */
  private coolDownUntil = 0;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Per chat, the tail of its messages being handled: one chat's messages stay in order. */
  private readonly chats = new Map<string, Promise<void>>();
  /** Ids seen lately: the library can emit one message twice; the chain de-duplicates durably. */
  private readonly seen = new Set<string>();
  /** A relay pass is running (see relayLoop). */
  private relaying = false;
  /** Sends of the current client that timed out since its last send that settled (see paced). */
  private stuckSends = 0;

  constructor(private readonly options: WhatsAppChannelOptions) {
    this.timings = { ...DEFAULT_WHATSAPP_TIMINGS, ...options.timings };
    if (this.timings.renewEveryMs * 2 > this.timings.lockTtlMs)
      throw new RangeError('WhatsAppChannel: renewEveryMs must be at most half of lockTtlMs');
    if (!(this.timings.sendTimeoutMs > 0))
      throw new RangeError('WhatsAppChannel: sendTimeoutMs must be more than 0');
    if (!(this.timings.startTimeoutMs > 0))
      throw new RangeError('WhatsAppChannel: startTimeoutMs must be more than 0');
    if (!(Number.isInteger(this.timings.handOverAfterFailures) && this.timings.handOverAfterFailures >= 1))
      throw new RangeError('WhatsAppChannel: handOverAfterFailures must be a whole number, at least 1');
    // Shorter, and a standby process trying every acquireEveryMs might not get a turn at the lock.
    if (!(this.timings.handOverCooldownMs >= 2 * this.timings.acquireEveryMs))
      throw new RangeError('WhatsAppChannel: handOverCooldownMs must be at least twice acquireEveryMs');
    this.lock = new SessionLock(options.redis, options.keys, { ttlMs: this.timings.lockTtlMs });
    this.pacer = new Pacer({
      perChatMs: this.timings.perChatMs,
      overallMs: this.timings.overallMs,
      jitterMs: this.timings.jitterMs,
    });
    this.log = options.logger;
  }

  /** The connection state of this process. */
  get state(): WhatsAppState {
    return this.current;
  }

  /** The QR code waiting to be scanned, when `state` is `qr`. */
  get qr(): string | null {
    return this.qrCode;
  }

  /** Whether this process holds the session (for tests and the admin page). */
  get holding(): boolean {
    return this.lock.held;
  }

  /** Ready to talk (this process holds a connected session), or standing by for another that holds it. */
  get healthy(): boolean {
    return this.current === 'ready' || this.current === 'standby';
  }

  /** Starts competing for the session; returns at once (linking may wait for a QR scan). */
  start(): void {
    this.stopped = false;
    // An explicit start competes at once, whatever a hand-over before a stop() said.
    this.handOverDue = false;
    this.coolDownUntil = 0;
    this.after(0, () => this.lockLoop());
    this.after(this.timings.relayEveryMs, () => this.relayLoop());
  }

  /** Closes the browser (the link stays on disk) and releases the lock so another process takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.dropClient();
    await Promise.allSettled([...this.chats.values()]);
    await this.lock.release().catch(() => undefined);
    this.current = 'stopped';
  }

  async send(chatId: string, messages: readonly Outbound[]): Promise<void> {
    const { lang } = await this.options.chatState(chatId).catch(() => ({ lang: 'id' as Lang }));
    const texts = messages.flatMap((m) => renderForWhatsApp(m, lang));
    await this.sendOrRelay(chatId, texts);
  }

  /**
   * Sends a file (a PNG, JPEG or PDF) with an optional caption. Only the session holder can; the
   * caller retries elsewhere when this throws.
   */
  async sendMedia(
    chatId: string,
    file: { bytes: Buffer; mimeType: string; fileName?: string; caption?: string },
  ): Promise<void> {
    if (!this.readyClient()) throw new NotReady();
    const { MessageMedia } = this.options.library;
    const media = new MessageMedia(
      file.mimeType,
      file.bytes.toString('base64'),
      file.fileName ?? null,
      file.bytes.length,
    );
    await this.paced(chatId, media, {
      ...(file.caption ? { caption: file.caption } : {}),
      sendSeen: false,
    }).catch((err) => {
      throw this.classify(err);
    });
  }

  // ─── sending ──────────────────────────────────────────────────────────────────────────────

  private readyClient(): WhatsAppClient | null {
    return this.current === 'ready' && this.lock.held ? this.client : null;
  }

  /**
   * One send, when the pacer says, by the client ready at that moment ({@link NotReady} if none:
   * it may have been restarted while the message waited), given up after `sendTimeoutMs` with a
   * {@link SendTimedOut}, logged once. A stuck page never answers, and one send at a time means it
   * would hold every chat and the relay behind it; the holder would keep renewing the lock, so no
   * other process would take over either. {@link STUCK_SENDS_BEFORE_RESTART} timeouts in a row (no
   * send settling in between) take the page for dead: the client is restarted, as after a
   * disconnect, and what waits goes to the relay until the new one is ready.
   *
   * The timed-out send is not cancelled (whatsapp-web.js cannot): if the page comes back and
   * carries it out, the message goes a second time, since the caller relays it (at least once).
   */
  private async paced(
    chatId: string,
    content: Parameters<WhatsAppClient['sendMessage']>[1],
    options: Parameters<WhatsAppClient['sendMessage']>[2],
  ): Promise<void> {
    await this.pacer.schedule(chatId, async () => {
      const client = this.readyClient();
      if (!client) throw new NotReady();
      const generation = this.generation;
      const ms = this.timings.sendTimeoutMs;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const sending = client.sendMessage(chatId, content, options);
      sending.then(
        () => {
          if (timedOut)
            this.log.info(
              { chat: hashId(`whatsapp:${chatId}`) },
              'whatsapp send that timed out went through late; it was relayed, so it may show twice',
            );
        },
        () => undefined,
      );
      try {
        await Promise.race([
          sending,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              timedOut = true;
              reject(new SendTimedOut(ms));
            }, ms);
          }),
        ]);
      } catch (err) {
        if (timedOut) this.sendTimedOut(chatId, generation);
        else if (generation === this.generation) this.stuckSends = 0;
        throw err;
      } finally {
        clearTimeout(timer);
      }
      if (generation === this.generation) this.stuckSends = 0;
    });
  }

  /** Logs a timed-out send (no number, no text); restarts the client after a few in a row. */
  private sendTimedOut(chatId: string, generation: number): void {
    // A send of a client already given up (restarted meanwhile) says nothing about the new one.
    const current = generation === this.generation;
    if (current) this.stuckSends++;
    this.log.warn(
      { chat: hashId(`whatsapp:${chatId}`), timeoutMs: this.timings.sendTimeoutMs, inARow: this.stuckSends },
      'whatsapp send timed out; relayed or retried',
    );
    if (!current || this.stuckSends < STUCK_SENDS_BEFORE_RESTART) return;
    this.log.error(
      { inARow: this.stuckSends },
      'whatsapp sends keep timing out: the page seems stuck; restarting the client',
    );
    this.stuckSends = 0;
    this.restartClient('sends timed out', 'failure');
  }

  /**
   * Sends texts in order, paced. What cannot go now (not the holder, not connected, a send that
   * failed for a passing reason) goes to the relay, in order, for the holder to send when ready.
   */
  private async sendOrRelay(chatId: string, texts: string[]): Promise<void> {
    const rest = await this.sendTexts(chatId, texts, 0);
    if (rest && this.keep(rest))
      await this.options.redis.rpush(this.options.keys.whatsappRelay, JSON.stringify(rest));
  }

  /**
   * Sends texts in order, paced, and returns what could not go now (not the holder, not connected,
   * a send that failed for a passing reason or timed out: then counted as an attempt), for the
   * relay; null when all went. Throws a {@link PermanentDeliveryError} when the chat can never receive.
   */
  private async sendTexts(chatId: string, texts: string[], attempts: number): Promise<RelayEntry | null> {
    for (let i = 0; i < texts.length; i++) {
      if (!this.readyClient()) return { chatId, texts: texts.slice(i), attempts };
      try {
        await this.paced(chatId, texts[i] as string, { linkPreview: false, sendSeen: false });
      } catch (err) {
        if (err instanceof NotReady) return { chatId, texts: texts.slice(i), attempts };
        // Logged where it timed out; relayed like any passing failure.
        if (err instanceof SendTimedOut) return { chatId, texts: texts.slice(i), attempts: attempts + 1 };
        const classified = this.classify(err);
        if (classified instanceof PermanentDeliveryError) throw classified;
        this.log.warn(
          { chat: hashId(`whatsapp:${chatId}`), error: (err as Error).message },
          'whatsapp send failed; relayed',
        );
        return { chatId, texts: texts.slice(i), attempts: attempts + 1 };
      }
    }
    return null;
  }

  /** Whether an entry may wait in the relay once more; one that failed too often is dropped (logged). */
  private keep(entry: RelayEntry): boolean {
    if (entry.attempts < RELAY_ATTEMPTS) return true;
    this.log.error(
      { chat: hashId(`whatsapp:${entry.chatId}`), messages: entry.texts.length },
      'whatsapp messages dropped after repeated failures',
    );
    return false;
  }

  private classify(err: unknown): unknown {
    const message = err instanceof Error ? err.message : String(err);
    return GONE.test(message) ? new PermanentDeliveryError(this.name, message) : err;
  }

  /** The holder sends what waits in the relay, every `relayEveryMs`; one pass at a time. */
  private async relayLoop(): Promise<void> {
    // A second chain of this loop (start() again after stop()) must not run a pass beside this
    // one: the take relies on this process having nothing in flight when it takes. It ends here.
    if (this.relaying) return;
    this.relaying = true;
    try {
      await this.relayPass();
    } catch (err) {
      // Redis failed: an entry taken and not confirmed stays in flight, and the next take puts it
      // back at the front (sent again if it had gone: at least once).
      this.log.warn({ error: (err as Error).message }, 'whatsapp relay failed');
    } finally {
      this.relaying = false;
    }
    this.after(this.timings.relayEveryMs, () => this.relayLoop());
  }

  /**
   * At least once, across the holder's death: one entry at a time, the fenced take moves it from
   * the relay to the in-flight list (and first puts back anything a previous holder left there);
   * after the send — done, failed for good (logged), or partly left for later — the fenced
   * confirmation removes it and queues the rest, in one step. A holder that dies in between leaves
   * the entry in flight for the next holder, which sends it first: the message goes again if it had
   * gone, and is never lost. One entry at a time keeps that to the one message being sent, and lets
   * the take count it as an attempt (whatsapp-relay-take-3.lua); the sends are one at a time anyway
   * (the pacer).
   */
  private async relayPass(): Promise<void> {
    const { redis, keys } = this.options;
    while (this.readyClient()) {
      // Taken and confirmed under the same lock value: a new token (the lock lost and taken again)
      // is a new holder, whose first take puts this one's unconfirmed entry back.
      const value = this.lock.value;
      const raw = await redis.whatsappRelayTake(
        keys.whatsappLock,
        keys.whatsappRelay,
        keys.whatsappRelayInflight,
        value,
      );
      if (raw === null) return;
      const rest = await this.sendRelayed(raw);
      const confirmed = await redis.whatsappRelayDone(
        keys.whatsappLock,
        keys.whatsappRelayInflight,
        keys.whatsappRelay,
        value,
        raw,
        rest ? JSON.stringify(rest) : '',
      );
      // Fenced out mid-send: the new holder owns the relay and sends this entry again. Stop here.
      if (confirmed === 0) return;
    }
  }

  /** Sends one relayed entry; returns what is left for the back of the relay (null when nothing). */
  private async sendRelayed(raw: string): Promise<RelayEntry | null> {
    let entry: RelayEntry;
    try {
      entry = JSON.parse(raw) as RelayEntry;
      if (typeof entry.chatId !== 'string' || !Array.isArray(entry.texts))
        throw new TypeError('not an entry');
    } catch {
      // Kept in flight, it would come back at the front of the relay forever: drop it.
      this.log.error('whatsapp relay entry unreadable; dropped');
      return null;
    }
    const attempts = Number(entry.attempts) || 0;
    if (!this.keep({ ...entry, attempts })) return null;
    try {
      const rest = await this.sendTexts(entry.chatId, entry.texts, attempts);
      return rest && this.keep(rest) ? rest : null;
    } catch (err) {
      // A permanent failure of a relayed message has no job to report to: log it.
      this.log.warn(
        { chat: hashId(`whatsapp:${entry.chatId}`), error: (err as Error).message },
        'whatsapp relayed message undeliverable',
      );
      return null;
    }
  }

  // ─── the session lock ────────────────────────────────────────────────────────────────────

  private async lockLoop(): Promise<void> {
    try {
      if (this.lock.fence === 0) {
        // After a hand-over, the lock is left to the others for a while.
        if (Date.now() >= this.coolDownUntil && (await this.lock.acquire())) {
          this.log.info({ fence: this.lock.fence }, 'whatsapp session lock taken; starting the client');
          this.reconnects = 0;
          this.failedStarts = 0;
          // Not awaited: starting a browser takes a while, and renewing the lock must not wait for it.
          void this.startClient();
        }
      } else if (this.handOverDue) {
        await this.releaseForHandOver();
      } else if (!(await this.lock.renew())) {
        this.log.warn('whatsapp session lock lost to another process; closing the client');
        await this.standBy();
      } else {
        await this.checkLogoutRequest();
      }
    } catch (err) {
      this.log.warn({ error: (err as Error).message }, 'whatsapp session lock check failed');
      // Cannot reach Redis: past the time to live another process may have the session already.
      if (this.lock.fence !== 0 && !this.lock.held) {
        this.lock.drop();
        await this.standBy();
      }
    }
    const holding = this.lock.fence !== 0;
    this.after(holding ? this.timings.renewEveryMs : this.timings.acquireEveryMs, () => this.lockLoop());
  }

  private async standBy(): Promise<void> {
    await this.dropClient();
    this.setState('standby');
  }

  /**
   * Gives the session up after too many failed starts in a row (restartClient dropped the client
   * and starts no new one): the lock loop releases the lock at its next turn, within
   * `renewEveryMs`. There, not here, so a renewal or a logout check in flight cannot run after the
   * release.
   */
  private handOver(reason: string): void {
    const { handOverCooldownMs } = this.timings;
    this.log.warn(
      { reason, failedStarts: this.failedStarts, coolDownMs: handOverCooldownMs },
      'whatsapp client keeps failing to start; releasing the session lock so another process can take over',
    );
    this.setState('standby');
    this.handOverDue = true;
  }

  private async releaseForHandOver(): Promise<void> {
    this.handOverDue = false;
    // Before the release, which may throw (Redis unreachable: the lock then runs out by itself).
    this.coolDownUntil = Date.now() + this.timings.handOverCooldownMs;
    await this.lock.release();
    this.log.info('whatsapp session lock released; standing by');
  }

  /** `aduan whatsapp logout` leaves a request; the holder logs out, then shows a new QR. */
  private async checkLogoutRequest(): Promise<void> {
    const { redis, keys } = this.options;
    const request = await redis.getdel(keys.whatsappLogout);
    if (!request) return;
    this.log.info('whatsapp logout requested');
    const client = this.client;
    if (client && this.current === 'ready')
      await client
        .logout()
        .catch((err: Error) => this.log.warn({ error: err.message }, 'whatsapp logout failed'));
    await redis.hset(keys.whatsappStatus, 'loggedOut', request);
    this.reconnects = 0;
    this.restartClient('logout', 'logout');
  }

  // ─── the client ──────────────────────────────────────────────────────────────────────────

  private async startClient(): Promise<void> {
    if (this.stopped || !this.lock.held) return;
    const generation = ++this.generation;
    const mine = () => generation === this.generation && !this.stopped;
    this.stuckSends = 0;
    this.clientCameUp = false;
    const { Client, LocalAuth } = this.options.library;
    this.setState('starting');
    const client = new Client({
      authStrategy: new LocalAuth({ clientId: 'aduan', dataPath: this.options.dataPath }),
      puppeteer: {
        executablePath: this.options.chromiumPath,
        headless: true,
        args: ['--no-sandbox', '--disable-setuid-sandbox'],
      },
      // Beside the session, not in the working directory (the library's default).
      webVersionCache: { type: 'local', path: `${this.options.dataPath}/web-cache` },
    });
    this.client = client;
    this.watchStart(mine);
    client.on('qr', (qr) => {
      if (!mine()) return;
      this.qrCode = qr;
      // The browser works; what is missing is a human with the phone, however long that takes.
      this.cameUp();
      this.setState('qr');
      (this.options.onQr ?? (() => undefined))(qr);
    });
    client.on('authenticated', () => {
      if (!mine()) return;
      this.qrCode = null;
      this.setState('authenticated');
    });
    client.on('auth_failure', () => {
      if (!mine()) return;
      this.log.warn('whatsapp authentication failed; starting again');
      this.restartClient('auth_failure', 'failure');
    });
    client.on('ready', () => {
      if (!mine()) return;
      this.readyAt = Date.now();
      this.reconnects = 0;
      this.cameUp();
      this.setState('ready');
      this.log.info('whatsapp ready');
    });
    client.on('change_state', (state) => {
      if (mine()) this.log.info({ state }, 'whatsapp connection state');
    });
    client.on('disconnected', (reason) => {
      if (!mine()) return;
      this.log.warn({ reason }, 'whatsapp disconnected');
      if (reason === 'LOGOUT') this.reconnects = 0;
      // Unlinked from the phone: the next client shows a QR code; nothing failed.
      this.restartClient(String(reason), reason === 'LOGOUT' ? 'logout' : 'failure');
    });
    client.on('message', (message) => {
      if (mine()) this.receive(message);
    });
    try {
      await client.initialize();
    } catch (err) {
      if (!mine()) return;
      this.log.error({ error: (err as Error).message }, 'whatsapp client failed to start');
      this.restartClient('initialize failed', 'failure');
    }
  }

  /**
   * A start that shows nothing (no QR code, no authentication, not ready) within `startTimeoutMs`
   * has hung: restarted, and counted as a failed start. Still `starting` means none of them came.
   */
  private watchStart(mine: () => boolean): void {
    const { startTimeoutMs } = this.timings;
    this.after(startTimeoutMs, async () => {
      if (!mine() || this.current !== 'starting') return;
      this.log.warn({ timeoutMs: startTimeoutMs }, 'whatsapp client did not start in time; starting again');
      this.restartClient('start timed out', 'failure');
    });
  }

  private cameUp(): void {
    this.clientCameUp = true;
    this.failedStarts = 0;
  }

  /**
   * Gives the current client up and starts a new one after a backoff with jitter. A failure of a
   * client that never showed a QR code nor became ready is a failed start; after
   * `handOverAfterFailures` of them in a row the session is handed over instead (see handOver).
   */
  private restartClient(reason: string, cause: 'failure' | 'logout'): void {
    const failedStart = cause === 'failure' && !this.clientCameUp;
    void this.dropClient();
    if (this.stopped) return;
    if (failedStart && ++this.failedStarts >= this.timings.handOverAfterFailures) {
      this.handOver(reason);
      return;
    }
    this.setState('reconnecting');
    const { reconnectBaseMs, reconnectMaxMs } = this.timings;
    const delay = Math.min(reconnectMaxMs, reconnectBaseMs * 2 ** this.reconnects);
    const wait = Math.round(delay / 2 + Math.random() * (delay / 2));
    this.reconnects++;
    this.log.info({ reason, inMs: wait, attempt: this.reconnects }, 'whatsapp reconnecting');
    // dropClient() moved the generation on; a later drop (a hand-over, the lock lost, another
    // restart) moves it again, and this start is off: one client at a time.
    const generation = this.generation;
    this.after(wait, async () => {
      if (generation === this.generation) await this.startClient();
    });
  }

  private async dropClient(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.generation++;
    this.qrCode = null;
    if (!client) return;
    client.removeAllListeners();
    await client.destroy().catch(() => undefined);
  }

  private setState(state: WhatsAppState): void {
    this.current = state;
    if (!this.lock.held) return;
    // Shared, so any process's admin page shows the holder's state and QR code.
    const { redis, keys } = this.options;
    const status = keys.whatsappStatus;
    const fields = { state, fence: String(this.lock.fence), at: String(Date.now()), qr: this.qrCode ?? '' };
    redis
      .multi()
      .hset(status, fields)
      .pexpire(status, this.timings.lockTtlMs * 2)
      .exec()
      .catch(() => undefined);
  }

  // ─── receiving ───────────────────────────────────────────────────────────────────────────

  private receive(message: WhatsAppMessage): void {
    const t = messageToInbound(message, this.readyAt - this.timings.backlogMs);
    if (t.kind === 'ignore') {
      this.log.debug({ reason: t.reason }, 'whatsapp message ignored');
      return;
    }
    if (this.seen.has(t.messageId)) return;
    this.seen.add(t.messageId);
    if (this.seen.size > 2000) this.seen.delete(this.seen.values().next().value as string);
    const previous = this.chats.get(t.chatId) ?? Promise.resolve();
    const next = previous
      .then(() => this.process(t, message))
      .catch((err: Error) =>
        this.log.error(
          { chat: hashId(`whatsapp:${t.chatId}`), error: err.message },
          'whatsapp message not handled',
        ),
      )
      .finally(() => {
        if (this.chats.get(t.chatId) === next) this.chats.delete(t.chatId);
      });
    this.chats.set(t.chatId, next);
  }

  private async process(
    t: Exclude<WhatsAppInbound, { kind: 'ignore' }>,
    message: WhatsAppMessage,
  ): Promise<void> {
    const { chatId, messageId } = t;
    switch (t.kind) {
      case 'inbound':
        return this.deliver(chatId, messageId, t.inbound);
      case 'unsupported': {
        const { lang } = await this.options.chatState(chatId);
        return this.sendOrRelay(chatId, [unsupportedReply(t.what, lang)]);
      }
      case 'media': {
        const { lang, expectsFiles } = await this.options.chatState(chatId);
        // Not asked for: not downloaded, so nobody can fill the disk with unasked-for files.
        if (!expectsFiles) return this.sendOrRelay(chatId, [WHATSAPP_REPLIES.notAskingFiles[lang]]);
        const stored = await this.download(message);
        if ('reply' in stored) return this.sendOrRelay(chatId, [rejectedReply(stored.reply, lang)]);
        return this.deliver(chatId, messageId, {
          kind: 'media',
          media: stored,
          ...(t.caption ? { caption: t.caption } : {}),
        });
      }
    }
  }

  /** Downloads and stores a photo or document, with the store's type, content and size rules. */
  private async download(
    message: WhatsAppMessage,
  ): Promise<
    { ref: string; mimeType: string; size: number; fileName?: string } | { reply: AttachmentRejected['code'] }
  > {
    const media = await message.downloadMedia().catch(() => undefined);
    if (!media?.data) return { reply: 'empty_file' };
    // Refuse before decoding: base64 is 4 characters per 3 bytes.
    if (
      (media.filesize ?? 0) > MAX_ATTACHMENT_BYTES ||
      media.data.length > (MAX_ATTACHMENT_BYTES / 3) * 4 + 4
    )
      return { reply: 'too_large' };
    try {
      const saved = await this.options.attachments.put(Buffer.from(media.data, 'base64'), media.mimetype);
      return media.filename ? { ...saved, fileName: media.filename.slice(0, 200) } : saved;
    } catch (err) {
      if (err instanceof AttachmentRejected) return { reply: err.code };
      throw err;
    }
  }

  /** Hands a message to the chain; retried with backoff, as WhatsApp will not deliver it again. */
  private async deliver(chatId: string, messageId: string, inbound: Inbound): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.handle({ channel: this.name, chatId, messageId, inbound });
        return;
      } catch (err) {
        if (err instanceof PermanentDeliveryError || attempt >= HANDLE_ATTEMPTS || this.stopped) throw err;
        this.log.warn(
          { chat: hashId(`whatsapp:${chatId}`), attempt, error: (err as Error).message },
          'whatsapp message not handled yet; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, this.timings.retryBaseMs * 2 ** attempt));
      }
    }
  }

  private after(ms: number, run: () => Promise<void>): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void run();
    }, ms);
    this.timers.add(timer);
  }
}

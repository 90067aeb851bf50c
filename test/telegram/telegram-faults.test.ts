import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_NETWORK_ATTEMPTS } from '../../src/channels/telegram/telegram-channel.ts';
import { notificationJobId } from '../../src/queue/queues.ts';
import { cleanup, type TestAduan } from '../support/aduan.ts';
import { spawnAduan } from '../support/aduan-process.ts';
import { ticketJobFixture } from '../support/fixtures.ts';
import { startTestRedis } from '../support/redis.ts';
import { useTelegramTestApp } from '../support/telegram-app.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';

const TRACKING = /ADU-[2-9A-Y]{4}-[2-9A-Y]{4}/;

/** TELEGRAM_API_TIMEOUT_SECONDS here: a call unanswered this long is abandoned and tried again. */
const API_TIMEOUT_SECONDS = 2;

/** TELEGRAM_POLLING_RETRY_SECONDS here: the steady wait between failed polls. */
const POLLING_RETRY_SECONDS = 1;

/**
 * The Bot API misbehaving (the 429 and blocked-chat cases are in telegram-e2e.test.ts): 5xx answers,
 * slow answers, calls that are never answered, and a getUpdates that fails (briefly, or for long). Each message must
 * arrive, late, and once — except a call Telegram carried out whose answer was lost, which the Bot
 * API cannot de-duplicate (no idempotency key): that one must arrive at least once.
 */
describe('Telegram answering 5xx, slowly, or not at all', () => {
  const env = useTelegramTestApp({
    env: {
      TELEGRAM_API_TIMEOUT_SECONDS: String(API_TIMEOUT_SECONDS),
      TELEGRAM_POLLING_RETRY_SECONDS: String(POLLING_RETRY_SECONDS),
    },
  });
  let tg: TelegramEmulator;
  let app: TestAduan;
  beforeAll(() => {
    ({ tg, app } = env);
  });

  const sendsTo = (chat: number) =>
    tg.calls('sendMessage').filter((c) => String(c.params.chat_id) === String(chat));
  /** A ticket reported from Telegram chat `chat`, once its confirmation has reached the chat. */
  const confirmedTicket = async (chat: number, id: string) => {
    tg.addChat(chat);
    const { ticket } = await app.service.createFromJob(
      ticketJobFixture(id, { channel: 'telegram', chatId: String(chat) }),
    );
    await tg.waitForMessage(chat, TRACKING, { timeoutMs: 20_000 });
    return ticket;
  };
  const shown = (chat: number, match: RegExp) => tg.messages(chat).filter((m) => match.test(m.text ?? ''));

  it('delivers a status update once after two 5xx answers', async () => {
    const chat = 8001;
    const ticket = await confirmedTicket(chat, 'tg5xx0001');
    tg.failNext('sendMessage', 1, { error_code: 500, description: 'Internal Server Error' });
    tg.failNext('sendMessage', 1, { error_code: 502, description: 'Bad Gateway' });
    await app.service.changeStatus(ticket.trackingId, 'verified', undefined, { kind: 'coordinator' });
    await tg.waitForMessage(chat, /Terverifikasi/, { timeoutMs: 30_000 });
    await settle(app);
    expect(shown(chat, /Terverifikasi/)).toHaveLength(1);
    // Tried three times: two refused, one delivered.
    const attempts = sendsTo(chat).filter((c) => /Terverifikasi/.test(String(c.params.text)));
    expect(attempts.map((c) => c.response?.ok)).toEqual([false, false, true]);
    expect((await app.tickets.get(ticket.trackingId))?.ticket.reporterUnreachable).toBe(false);
  }, 60_000);

  it('answers a citizen late, once, when sendMessage is slow but within the client timeout', async () => {
    const chat = 8002;
    tg.delayNext('sendMessage', (API_TIMEOUT_SECONDS * 1000) / 2);
    const started = Date.now();
    tg.sendText(chat, '/lapor');
    await tg.waitForMessage(chat, /Apa yang ingin/, { timeoutMs: 20_000 });
    // Late (printed, not asserted against a time) …
    console.log(`slow sendMessage: the first question arrived after ${Date.now() - started} ms`);
    // … and the conversation goes on in order.
    const after = tg.sentCount(chat);
    tg.sendText(chat, 'pengaduan');
    await tg.waitForMessage(chat, /kategori/i, { timeoutMs: 20_000, after });
    expect(shown(chat, /Apa yang ingin/)).toHaveLength(1);
    expect(shown(chat, /kategori/i)).toHaveLength(1);
  });

  it('keeps polling through getUpdates failures and answers each message once', async () => {
    const chat = 8003;
    tg.failNext('getUpdates', 2, { error_code: 502, description: 'Bad Gateway' });
    tg.sendText(chat, 'halo');
    await tg.waitForMessage(chat, /Selamat datang/, { timeoutMs: 30_000 });
    expect(tg.calls('getUpdates').filter((c) => c.response?.ok === false).length).toBeGreaterThanOrEqual(1);
    const after = tg.sentCount(chat);
    tg.sendText(chat, 'halo lagi');
    await tg.waitForMessage(chat, /Selamat datang/, { timeoutMs: 20_000, after });
    expect(shown(chat, /Selamat datang/)).toHaveLength(2);
  }, 60_000);

  it('polls at a steady interval through a long outage, answers the next message once, and logs the outage once', async () => {
    const chat = 8008;
    const fromLine = app.logs.lines.length;
    const fromPoll = tg.calls('getUpdates').length;
    // The outage: connections cut, then a gateway answering 502 (e.g. Telegram's front end up while
    // its back end is not). Behind auto-retry, the 502s alone would have waited 3 + 6 + 12 + 24 + 48 s.
    const DROPS = 2;
    const BAD_GATEWAYS = 8;
    tg.dropNext('getUpdates', DROPS);
    tg.failNext('getUpdates', BAD_GATEWAYS, { error_code: 502, description: 'Bad Gateway' });
    const outage = () =>
      tg
        .calls('getUpdates')
        .slice(fromPoll)
        .filter((c) => c.dropped || c.response?.ok === false);
    // The poll waiting now takes this message; the polls after it fail.
    tg.sendText(chat, 'halo');
    await expect.poll(() => outage().length, { timeout: 10_000, interval: 20 }).toBeGreaterThan(0);
    // The citizen writes during the outage: answered once polling works again.
    tg.sendText(chat, 'halo lagi');
    await expect.poll(() => shown(chat, /Selamat datang/).length, { timeout: 20_000, interval: 50 }).toBe(2);
    const answeredAt = Date.now();
    const failed = outage();
    expect(failed.map((c) => (c.dropped ? 'dropped' : c.response?.ok === false ? 502 : '?'))).toEqual([
      ...Array.from({ length: DROPS }, () => 'dropped'),
      ...Array.from({ length: BAD_GATEWAYS }, () => 502),
    ]);
    // A poll every second, without backoff: no gap grows (exponential backoff would double them).
    const gaps = failed.slice(1).map((c, i) => c.at - (failed[i]?.at ?? 0));
    console.log(`getUpdates outage: polls ${gaps.join(', ')} ms apart`);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(POLLING_RETRY_SECONDS * 1000 - 50);
    expect(Math.max(...gaps)).toBeLessThan(POLLING_RETRY_SECONDS * 1000 * 2.5);
    // The message written during the outage is answered within about one interval of the last failure.
    const lastFailure = failed[failed.length - 1]?.at ?? 0;
    console.log(`getUpdates outage: answered ${answeredAt - lastFailure} ms after the last failed poll`);
    expect(answeredAt - lastFailure).toBeLessThan(POLLING_RETRY_SECONDS * 1000 + 2_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(shown(chat, /Selamat datang/)).toHaveLength(2);
    // One warning when polling started failing, one line when it recovered; never the token.
    const lines = app.logs.lines.slice(fromLine);
    const said = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const failing = said.filter((l) => /telegram polling failed/.test(String(l.msg)));
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({
      level: 40,
      msg: `telegram polling failed; retrying every ${POLLING_RETRY_SECONDS} s`,
      retrySeconds: POLLING_RETRY_SECONDS,
      error: expect.stringMatching(/getUpdates.*failed/),
    });
    const recovered = said.filter((l) => /telegram polling recovered/.test(String(l.msg)));
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ level: 30, failedAttempts: DROPS + BAD_GATEWAYS });
    expect(lines.filter((l) => l.includes(tg.token) || l.includes(tg.token.split(':')[1] ?? '?'))).toEqual(
      [],
    );
  }, 40_000);

  it('answers a citizen late, once, when a sendMessage is never answered (timed out, tried again)', async () => {
    const chat = 8004;
    tg.stallNext('sendMessage');
    const started = Date.now();
    tg.sendText(chat, '/lapor');
    await tg.waitForMessage(chat, /Apa yang ingin/, { timeoutMs: 30_000 });
    console.log(`stalled sendMessage: the first question arrived after ${Date.now() - started} ms`);
    // Two attempts: the lost one (never answered), then the one delivered (its answer is recorded
    // just after the message shows, hence the poll).
    const attempts = () => sendsTo(chat).filter((c) => /Apa yang ingin/.test(String(c.params.text)));
    await expect
      .poll(() => attempts().map((c) => [c.stalled === true, c.response?.ok]))
      .toEqual([
        [true, undefined],
        [false, true],
      ]);
    // The conversation goes on.
    const after = tg.sentCount(chat);
    tg.sendText(chat, 'pengaduan');
    await tg.waitForMessage(chat, /kategori/i, { timeoutMs: 20_000, after });
    expect(shown(chat, /Apa yang ingin/)).toHaveLength(1);
    expect(shown(chat, /kategori/i)).toHaveLength(1);
    // The operator can see why the answer was late.
    expect(app.logs.lines.some((l) => /timed out/.test(l) && /"method":"sendMessage"/.test(l))).toBe(true);
  }, 60_000);

  it('delivers a status update once when its sendMessage is never answered, and records no failure', async () => {
    const chat = 8005;
    const ticket = await confirmedTicket(chat, 'tgstall001');
    tg.stallNext('sendMessage');
    const changed = await app.service.changeStatus(ticket.trackingId, 'verified', undefined, {
      kind: 'coordinator',
    });
    if (!changed) throw new Error('the status change was refused');
    await tg.waitForMessage(chat, /Terverifikasi/, { timeoutMs: 30_000 });
    await settle(app);
    expect(shown(chat, /Terverifikasi/)).toHaveLength(1);
    const attempts = sendsTo(chat).filter((c) => /Terverifikasi/.test(String(c.params.text)));
    expect(attempts.map((c) => [c.stalled === true, c.response?.ok])).toEqual([
      [true, undefined],
      [false, true],
    ]);
    // Retried inside the one job run: the job never failed, and the ticket records nothing.
    const job = await app.queues.notifications.getJob(
      notificationJobId(ticket.trackingId, changed.event.seq),
    );
    expect(await job?.getState()).toBe('completed');
    expect(job?.failedReason).toBeFalsy();
    const events = await app.tickets.events(ticket.trackingId);
    expect(events.map((e) => e.type)).not.toContain('delivery_failed');
    expect((await app.tickets.get(ticket.trackingId))?.ticket.reporterUnreachable).toBe(false);
  }, 60_000);

  it('shows a reply at least once when Telegram carried out a sendMessage but the answer never came back', async () => {
    const chat = 8006;
    // Carried out after the client gave up: its retry is a second message (the Bot API has no
    // idempotency key), so this is at-least-once; the count is printed, only "not lost" is asserted.
    tg.delayNext('sendMessage', (API_TIMEOUT_SECONDS + 1) * 1000);
    tg.sendText(chat, '/lapor');
    await tg.waitForMessage(chat, /Apa yang ingin/, { timeoutMs: 30_000 });
    const attempts = () => sendsTo(chat).filter((c) => /Apa yang ingin/.test(String(c.params.text)));
    // The abandoned attempt and the retry both reach Telegram.
    await expect.poll(() => attempts().filter((c) => c.response?.ok).length, { timeout: 30_000 }).toBe(2);
    const count = shown(chat, /Apa yang ingin/).length;
    console.log(`answer lost after sendMessage was carried out: the citizen sees the reply ${count} time(s)`);
    expect(count).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('fails the notification job when sendMessage stays unanswered, and the BullMQ retry delivers it once', async () => {
    const chat = 8007;
    const ticket = await confirmedTicket(chat, 'tgdown0001');
    await settle(app);
    // Unreachable for every attempt of one call (2 s each, with auto-retry's 3 s, 6 s, 12 s between).
    tg.stallNext('sendMessage', MAX_NETWORK_ATTEMPTS);
    const started = Date.now();
    const changed = await app.service.changeStatus(ticket.trackingId, 'verified', undefined, {
      kind: 'coordinator',
    });
    if (!changed) throw new Error('the status change was refused');
    const job = async () => {
      const found = await app.queues.notifications.getJob(
        notificationJobId(ticket.trackingId, changed.event.seq),
      );
      if (!found) throw new Error('no notification job');
      return found;
    };
    // The call gives up: the job's attempt fails, and BullMQ schedules a retry (2 s later).
    await expect.poll(async () => (await job()).attemptsMade, { timeout: 45_000, interval: 100 }).toBe(1);
    console.log(`Telegram unreachable: the job's first attempt failed after ${Date.now() - started} ms`);
    const failed = await job();
    expect(failed.failedReason).toBe(
      `telegram sendMessage: no answer after ${MAX_NETWORK_ATTEMPTS} attempts`,
    );
    expect(['delayed', 'waiting', 'active']).toContain(await failed.getState());
    expect(shown(chat, /Terverifikasi/)).toHaveLength(0);
    // Telegram answers again: the retry delivers it, once.
    await tg.waitForMessage(chat, /Terverifikasi/, { timeoutMs: 20_000 });
    console.log(`Telegram unreachable: the status update arrived after ${Date.now() - started} ms`);
    await settle(app);
    expect(shown(chat, /Terverifikasi/)).toHaveLength(1);
    const attempts = sendsTo(chat).filter((c) => /Terverifikasi/.test(String(c.params.text)));
    expect(attempts.map((c) => [c.stalled === true, c.response?.ok])).toEqual([
      ...Array.from({ length: MAX_NETWORK_ATTEMPTS }, () => [true, undefined]),
      [false, true],
    ]);
    const done = await job();
    expect(await done.getState()).toBe('completed');
    expect(done.attemptsMade).toBe(2);
    expect((await app.tickets.get(ticket.trackingId))?.ticket.reporterUnreachable).toBe(false);
    // Logged once, at warn, with the method only.
    const gaveUp = app.logs.lines.filter((l) => /giving up/.test(l)).map((l) => JSON.parse(l));
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toMatchObject({ level: 40, method: 'sendMessage' });
    const { time: _time, ...said } = gaveUp[0];
    expect(JSON.stringify(said)).not.toContain(String(chat));
  }, 60_000);
});

/** Waits until no notification job is waiting, running or delayed. */
async function settle(app: TestAduan): Promise<void> {
  await expect
    .poll(() => app.queues.notifications.getJobCounts('waiting', 'active', 'delayed'), { timeout: 30_000 })
    .toEqual({ waiting: 0, active: 0, delayed: 0 });
}

describe('Telegram refusing long polling for good', () => {
  it('logs an error, shuts down cleanly and exits 1 on a 409 (another process polls with the token)', async () => {
    const redis = await startTestRedis();
    const tg = await startTelegramEmulator();
    const dataDir = await mkdtemp(join(tmpdir(), 'aduan-test-'));
    try {
      const aduan = await spawnAduan(
        'bot',
        {
          REDIS_URL: redis.url,
          DATA_DIR: dataDir,
          PORT: '0',
          TELEGRAM_BOT_TOKEN: tg.token,
          TELEGRAM_API_ROOT: tg.apiRoot,
        },
        /"msg":"started"/,
      );
      try {
        // A second poller with the same token: Telegram answers the older long poll 409.
        const other = await fetch(`${tg.apiRoot}/bot${tg.token}/getUpdates?timeout=0`);
        expect(other.status).toBe(200);
        await expect.poll(() => aduan.child.exitCode, { timeout: 20_000, interval: 100 }).toBe(1);
        const said = aduan.output.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
        const refused = said.filter((l) => /long polling refused/.test(l.msg));
        expect(refused).toHaveLength(1);
        expect(refused[0]).toMatchObject({
          level: 50,
          code: 409,
          error: expect.stringMatching(/409: Conflict/),
        });
        // Shut down in order, as on a signal.
        expect(said.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
        expect(aduan.output.join('\n')).not.toContain(tg.token);
      } finally {
        await aduan.kill();
      }
    } finally {
      await tg.close();
      await redis.stop();
      await cleanup(dataDir);
    }
  }, 60_000);
});

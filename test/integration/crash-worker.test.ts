import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationJobId } from '../../src/queue/queues.ts';
import { cleanup, queuesSettled, startTestAduan, type TestAduan } from '../support/aduan.ts';
import { type AduanProcess, spawnAduan } from '../support/aduan-process.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { telegramReportUpToSummary } from '../support/telegram-citizen.ts';
import {
  type BotMessage,
  startTelegramEmulator,
  type TelegramEmulator,
} from '../support/telegram-emulator.ts';

const TRACKING = /ADU-[2-9A-Y]{4}-[2-9A-Y]{4}/;
const PHOTO = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('foto sampah menumpuk')]);
/** Preloaded into a worker process: it hangs right after its `ticketCreate` script has run. */
const HANG_AFTER_TICKET_CREATE = new URL('../support/hang-after-ticket-create.mjs', import.meta.url);
const HUNG = /^ADUAN-TEST hung after ticketCreate (.*)$/;

/**
 * A queue worker *process* (`aduan start --role worker`, spawned for real) is SIGKILLed while it is
 * creating a ticket, at each of the two dangerous moments. The "middle" is made deterministic, not
 * hoped for:
 * - before the ticket is written: the report carries a Telegram photo, the emulator holds the
 *   worker's `getFile` call, and the kill lands while the job is active, holds its lock and waits
 *   on that call;
 * - after the ticket is written, before its confirmation is queued and before the job is
 *   acknowledged: the worker runs with a preload (hang-after-ticket-create.mjs) that makes the
 *   `ticketCreate` script's promise never settle once Redis has answered it.
 * A second worker process then takes the job over once the dead one's lock expires and BullMQ's
 * stalled-job check sees it: the workers run with JOB_LOCK_SECONDS=5, so within about 10 s (with
 * the default 30 s, about a minute).
 */
/** The workers' job lock (and stalled-job check): short, so a takeover comes in seconds. */
const JOB_LOCK_SECONDS = 5;

describe('a worker process killed with SIGKILL in the middle of creating a ticket', () => {
  let redis: TestRedis;
  let tg: TelegramEmulator;
  let bot: TestAduan;
  let workerDir: string;
  const workers: AduanProcess[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
    tg = await startTelegramEmulator();
    workerDir = await mkdtemp(join(tmpdir(), 'aduan-worker-'));
    // The CLI always uses the prefix `aduan`; this redis-server is the test's own.
    bot = await startTestAduan({
      redisUrl: redis.url,
      role: 'bot',
      keyPrefix: 'aduan',
      env: { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.apiRoot },
    });
  });
  afterAll(async () => {
    for (const w of workers) await w.kill();
    await bot?.stop();
    await tg?.close();
    await cleanup(bot?.dataDir);
    await cleanup(workerDir);
    await redis?.stop();
  });

  const startWorker = async (env: Record<string, string> = {}) => {
    const worker = await spawnAduan(
      'worker',
      {
        REDIS_URL: redis.url,
        DATA_DIR: workerDir,
        TELEGRAM_BOT_TOKEN: tg.token,
        TELEGRAM_API_ROOT: tg.apiRoot,
        JOB_LOCK_SECONDS: String(JOB_LOCK_SECONDS),
        ...env,
      },
      /"msg":"started"/,
    );
    workers.push(worker);
    return worker;
  };

  /** The citizen's side on Telegram: text, buttons and a photo, up to the summary. */
  const reportUpToSummary = (
    chat: number,
    title = 'Sampah menumpuk di pinggir Jalan Parangtritis',
  ): Promise<BotMessage> =>
    telegramReportUpToSummary(tg, chat, {
      category: 'lingkungan',
      region: 'bantul',
      title,
      body: 'Sampah tidak diangkut sejak seminggu, baunya sampai ke rumah warga.',
      address: 'Jalan Parangtritis km 5, Bantul',
      photo: PHOTO,
    });

  it('gives exactly one ticket and one confirmation after a second worker process takes over', async () => {
    const chat = 7001;
    const first = await startWorker();
    const summary = await reportUpToSummary(chat);

    // Hold the worker's getFile (far longer than the test) and send the report.
    tg.delayNext('getFile', 10 * 60_000);
    tg.pressButton(chat, summary.message_id, { text: 'Kirim laporan' });
    // The call is logged when it arrives; its answer is what the emulator holds back.
    await expect.poll(() => tg.calls('getFile').length, { timeout: 20_000, interval: 20 }).toBe(1);
    const [job] = await bot.queues.tickets.getJobs(['active']);
    expect(job).toBeDefined();
    await first.kill();

    // Killed mid-job: no ticket yet, the job still active under the dead worker's lock.
    expect(await bot.tickets.count()).toBe(0);
    expect(await job?.getState()).toBe('active');

    await startWorker();
    const confirmation = await tg.waitForMessage(chat, TRACKING, { timeoutMs: 60_000, after: 0 });
    const trackingId = TRACKING.exec(confirmation.text ?? '')?.[0] as string;
    // Let every queue settle before counting, so a late second ticket or message would show.
    await queuesSettled(bot, 20_000);
    expect(await bot.tickets.count()).toBe(1);
    expect(tg.messages(chat).filter((m) => TRACKING.test(m.text ?? ''))).toHaveLength(1);
    expect(await bot.queues.tickets.getJobState(job?.id as string)).toBe('completed');

    // The ticket is whole: the photo was fetched again by the second worker and kept.
    const ticket = (await bot.tickets.get(trackingId))?.ticket;
    expect(ticket?.title).toBe('Sampah menumpuk di pinggir Jalan Parangtritis');
    const hash = createHash('sha256').update(PHOTO).digest('hex');
    expect(ticket?.attachments.map((a) => a.ref)).toEqual([`file:${hash}.jpg`]);
    expect(await readFile(join(workerDir, 'attachments', `${hash}.jpg`))).toEqual(PHOTO);
    expect(tg.calls('getFile')).toHaveLength(2);
  }, 100_000);

  it('gives exactly one ticket and one confirmation when killed after writing the ticket, before queuing the confirmation', async () => {
    const chat = 7002;
    // No other worker may take the job: the one the test above left running stops first.
    for (const w of workers) await w.stop();
    const ticketsBefore = await bot.tickets.count();
    const first = await startWorker({
      NODE_OPTIONS: `--import=${HANG_AFTER_TICKET_CREATE.href}`,
    });
    const summary = await reportUpToSummary(chat, 'Sampah dibakar di lahan kosong Sewon');
    tg.pressButton(chat, summary.message_id, { text: 'Kirim laporan' });

    // The worker wrote the ticket and hangs right after: the marker carries the script's reply.
    let hung: RegExpExecArray | undefined;
    await expect
      .poll(() => (hung = first.output.map((l) => HUNG.exec(l)).find((m) => m !== null) ?? undefined), {
        timeout: 20_000,
        interval: 20,
      })
      .toBeDefined();
    const [code, trackingId] = JSON.parse(hung?.[1] as string) as [number, string];
    expect(code).toBe(1);
    const [job] = await bot.queues.tickets.getJobs(['active']);
    expect(job).toBeDefined();
    const submissionId = job?.data.submission.submissionId as string;
    await first.kill();

    // Killed between the write and the acknowledgement: the ticket is stored, the job is still
    // active under the dead worker's lock, no confirmation was queued and none was shown.
    expect(await bot.tickets.bySubmission(submissionId)).toBe(trackingId);
    expect(await bot.tickets.count()).toBe(ticketsBefore + 1);
    expect(await job?.getState()).toBe('active');
    expect(await bot.queues.notifications.getJob(notificationJobId(trackingId, 1))).toBeUndefined();
    expect(tg.messages(chat).filter((m) => TRACKING.test(m.text ?? ''))).toHaveLength(0);

    const started = Date.now();
    await startWorker();
    const confirmation = await tg.waitForMessage(chat, TRACKING, { timeoutMs: 60_000, after: 0 });
    console.info(`crash-worker: taken over and confirmed ${Date.now() - started} ms after the restart`);
    expect(confirmation.text).toContain(trackingId);
    await queuesSettled(bot, 20_000);
    // The second run found the ticket rather than making another, and queued the one confirmation.
    expect(await bot.tickets.count()).toBe(ticketsBefore + 1);
    expect(await bot.tickets.bySubmission(submissionId)).toBe(trackingId);
    expect(tg.messages(chat).filter((m) => TRACKING.test(m.text ?? ''))).toHaveLength(1);
    expect(await bot.queues.tickets.getJobState(job?.id as string)).toBe('completed');
    expect(await bot.queues.notifications.getJobState(notificationJobId(trackingId, 1))).toBe('completed');
    expect((await bot.tickets.get(trackingId))?.ticket.title).toBe('Sampah dibakar di lahan kosong Sewon');
  }, 100_000);
});

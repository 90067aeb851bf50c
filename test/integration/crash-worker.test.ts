import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, startTestAduan, type TestAduan } from '../support/aduan.ts';
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

/**
 * A queue worker *process* (`aduan start --role worker`, spawned for real) is SIGKILLed while it is
 * creating a ticket. The "middle" is made deterministic, not hoped for: the report carries a
 * Telegram photo, the emulator holds the worker's `getFile` call, and the kill lands while the job
 * is active, holds its lock and waits on that call — after the job was taken, before the ticket is
 * written. A second worker process then takes the job over once the dead one's lock expires
 * (BullMQ's stalled-job check: about 30–60 s with the default lock of 30 s).
 */
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

  const startWorker = async () => {
    const worker = await spawnAduan(
      'worker',
      {
        REDIS_URL: redis.url,
        DATA_DIR: workerDir,
        TELEGRAM_BOT_TOKEN: tg.token,
        TELEGRAM_API_ROOT: tg.apiRoot,
      },
      /"msg":"started"/,
    );
    workers.push(worker);
    return worker;
  };

  /** The citizen's side on Telegram: text, buttons and a photo, up to the summary. */
  const reportUpToSummary = (chat: number): Promise<BotMessage> =>
    telegramReportUpToSummary(tg, chat, {
      category: 'lingkungan',
      region: 'bantul',
      title: 'Sampah menumpuk di pinggir Jalan Parangtritis',
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
    const confirmation = await tg.waitForMessage(chat, TRACKING, { timeoutMs: 100_000, after: 0 });
    const trackingId = TRACKING.exec(confirmation.text ?? '')?.[0] as string;
    // Let every queue settle before counting, so a late second ticket or message would show.
    await expect
      .poll(
        async () => ({
          tickets: await bot.queues.tickets.getJobCounts('waiting', 'active', 'delayed'),
          notifications: await bot.queues.notifications.getJobCounts('waiting', 'active', 'delayed'),
        }),
        { timeout: 20_000, interval: 200 },
      )
      .toEqual({
        tickets: { waiting: 0, active: 0, delayed: 0 },
        notifications: { waiting: 0, active: 0, delayed: 0 },
      });
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
  }, 150_000);
});

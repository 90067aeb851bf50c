import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeJobs } from '../../src/queue/remove-jobs.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

describe('removeJobs (deleting jobs that hold a deleted chat’s address)', () => {
  let server: TestRedis;
  let redis: Redis;
  beforeAll(async () => {
    server = await startTestRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  // Job ids as production makes them (prefixed): a bare "delayed" would be BullMQ's own key.
  it('removes waiting, delayed, completed and failed jobs, skips unknown ids, and counts each', async () => {
    const a = new Queue('a', { connection: redis, prefix: 'rm1' });
    const b = new Queue('b', { connection: redis, prefix: 'rm1' });
    await a.add('x', { n: 1 }, { jobId: 'j-waiting' });
    await a.add('x', { n: 2 }, { jobId: 'j-delayed', delay: 60_000 });
    await b.add('x', { n: 3 }, { jobId: 'j-done' });
    await b.add('x', { n: 4 }, { jobId: 'j-broken', attempts: 1 });
    const worker = new Worker(
      'b',
      async (job) => {
        if (job.id === 'j-broken') throw new Error('fails for good');
      },
      { connection: redis, prefix: 'rm1' },
    );
    await expect.poll(() => b.getJobState('j-done')).toBe('completed');
    await expect.poll(() => b.getJobState('j-broken')).toBe('failed');
    await worker.close();

    const wipe = () => ({});
    const result = await removeJobs([
      { queue: a, ids: ['j-waiting', 'j-delayed', 'never-there'], scrub: wipe },
      { queue: b, ids: ['j-done', 'j-broken'], scrub: wipe },
    ]);
    expect(result).toEqual({ removed: 4, scrubbed: 0 });
    for (const id of ['j-waiting', 'j-delayed']) expect(await a.getJobState(id)).toBe('unknown');
    for (const id of ['j-done', 'j-broken']) expect(await b.getJobState(id)).toBe('unknown');
    await Promise.all([a.close(), b.close()]);
  });

  it('waits for a job a worker holds and removes it once done; past the wait, wipes its payload instead', async () => {
    const q = new Queue('held', { connection: redis, prefix: 'rm2' });
    const releases: (() => void)[] = [];
    const worker = new Worker(
      'held',
      () =>
        new Promise<void>((r) => {
          releases.push(r);
        }),
      { connection: redis, prefix: 'rm2', concurrency: 2 },
    );
    const target = (id: string) => ({
      queue: q,
      ids: [id],
      scrub: (data: unknown) => ({ ...(data as object), chatId: '' }),
    });

    // Released while the request waits: removed.
    await q.add('x', { chatId: '628111' }, { jobId: 'held-1' });
    await expect.poll(() => q.getJobState('held-1')).toBe('active');
    const waiting = removeJobs([target('held-1')], { waitForBusyMs: 10_000, retryEveryMs: 50 });
    setTimeout(() => releases[0]?.(), 200);
    expect(await waiting).toEqual({ removed: 1, scrubbed: 0 });
    expect(await q.getJobState('held-1')).toBe('unknown');

    // Still held after the wait: left running, its stored payload without the address.
    await q.add('x', { chatId: '628222', n: 2 }, { jobId: 'held-2' });
    await expect.poll(() => q.getJobState('held-2')).toBe('active');
    expect(await removeJobs([target('held-2')], { waitForBusyMs: 200, retryEveryMs: 50 })).toEqual({
      removed: 0,
      scrubbed: 1,
    });
    expect(await q.getJobState('held-2')).toBe('active');
    expect((await q.getJob('held-2'))?.data).toEqual({ chatId: '', n: 2 });
    releases[1]?.();
    await expect.poll(() => q.getJobState('held-2')).toBe('completed');
    expect((await q.getJob('held-2'))?.data).toEqual({ chatId: '', n: 2 });
    await worker.close();
    await q.close();
  });
});

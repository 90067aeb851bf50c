import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeJobs, removeJobsByQueue } from '../../src/queue/remove-jobs.ts';
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

    const result = await removeJobsByQueue(
      { a, b },
      { a: ['j-waiting', 'j-delayed', 'never-there'], b: ['j-done', 'j-broken'] },
    );
    expect(result).toEqual({ removed: 4, busy: 0 });
    for (const id of ['j-waiting', 'j-delayed']) expect(await a.getJobState(id)).toBe('unknown');
    for (const id of ['j-done', 'j-broken']) expect(await b.getJobState(id)).toBe('unknown');
    await Promise.all([a.close(), b.close()]);
  });

  it('waits for a job a worker holds, removes it once done; past the wait it is reported busy, not lost', async () => {
    const q = new Queue('held', { connection: redis, prefix: 'rm2' });
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const worker = new Worker('held', () => released, { connection: redis, prefix: 'rm2' });
    await q.add('x', {}, { jobId: 'held-1' });
    await expect.poll(() => q.getJobState('held-1')).toBe('active');

    expect(await removeJobs(q, ['held-1'], { waitForBusyMs: 300, retryEveryMs: 50 })).toEqual({
      removed: 0,
      busy: 1,
    });
    expect(await q.getJobState('held-1')).toBe('active');

    // Released while a second request waits: that request removes it.
    const second = removeJobs(q, ['held-1'], { waitForBusyMs: 10_000, retryEveryMs: 50 });
    setTimeout(release, 200);
    expect(await second).toEqual({ removed: 1, busy: 0 });
    expect(await q.getJobState('held-1')).toBe('unknown');
    await worker.close();
    await q.close();
  });
});

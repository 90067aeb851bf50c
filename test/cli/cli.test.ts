import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { startEmbeddedRedis } from '../../src/redis/embedded.ts';
import { Keys } from '../../src/redis/keys.ts';
import { cleanup, startTestAduan } from '../support/aduan.ts';
import { aduan } from '../support/cli.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

describe('aduan command line', () => {
  let redis: TestRedis;
  let dir: string;
  beforeAll(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'aduan-cli-'));
  });
  afterAll(async () => {
    await redis?.stop();
    await cleanup(dir);
  });

  it('flows check: the shipped flows pass', async () => {
    const r = await aduan(['flows', 'check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok {2}flows\/complaint\.yaml/);
  });

  it('flows check: a broken flow is refused naming the file, the step and the field', async () => {
    const broken = join(dir, 'flows-broken');
    await mkdir(broken);
    await writeFile(
      join(broken, 'routing.yaml'),
      (await import('node:fs')).readFileSync(join(import.meta.dirname, '../../flows/routing.yaml')),
    );
    await writeFile(
      join(broken, 'status.yaml'),
      [
        'id: status',
        'on_finish: check_status',
        'title: { id: Cek, en: Check }',
        'done: { id: Selesai, en: Done }',
        'steps:',
        '  - id: tracking_id',
        '    kind: text',
        '    format: tracking_number',
        '    min_length: delapan',
        '    prompt: { id: Nomor?, en: Number? }',
      ].join('\n'),
    );
    const r = await aduan(['flows', 'check', '--dir', broken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/status\.yaml: step "tracking_id": field "min_length"/);
  });

  it('a bad setting stops start-up with exit code 2, naming the variable and what it accepts', async () => {
    const r = await aduan(['start'], { PORT: 'eighty', REDIS_URL: redis.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PORT: expected a whole number from 0 to 65535 (got "eighty")');
  });

  it('agency-key create prints a key once, stores only its hash, and the key works for that agency', async () => {
    const r = await aduan(['agency-key', 'create', 'bantul-dinkes'], { REDIS_URL: redis.url });
    expect(r.code).toBe(0);
    const key = r.stdout.trim();
    expect(key).toMatch(/^aduan_[A-Za-z0-9_-]{43}$/);
    const client = new Redis(redis.url);
    try {
      const stored = JSON.stringify(await client.hgetall(new Keys().apiKeys));
      expect(stored).not.toContain(key);
      expect(await new ApiKeys(client, new Keys()).verify(key)).toMatchObject({
        role: 'agency',
        agencyId: 'bantul-dinkes',
      });
    } finally {
      client.quit();
    }
  });

  it('agency-key list shows ids and agencies but never a key; revoke makes a key useless', async () => {
    const created = await aduan(['agency-key', 'create', 'sleman-pupr'], { REDIS_URL: redis.url });
    const key = created.stdout.trim();
    const id = /Created agency key (\w+)/.exec(created.stderr)?.[1] as string;
    const listed = await aduan(['agency-key', 'list'], { REDIS_URL: redis.url });
    expect(listed.stdout).toMatch(new RegExp(`^${id} +agency +sleman-pupr`, 'm'));
    expect(listed.stdout).not.toContain(key);
    expect((await aduan(['agency-key', 'revoke', id], { REDIS_URL: redis.url })).code).toBe(0);
    const client = new Redis(redis.url);
    try {
      expect(await new ApiKeys(client, new Keys()).verify(key)).toBeNull();
    } finally {
      client.quit();
    }
    expect((await aduan(['agency-key', 'revoke', id], { REDIS_URL: redis.url })).code).toBe(2);
  });

  it('agency-key create refuses an agency that routing.yaml does not know', async () => {
    const r = await aduan(['agency-key', 'create', 'dinas-rahasia'], { REDIS_URL: redis.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown agency "dinas-rahasia"');
  });

  it('with no REDIS_URL, reaches the embedded redis-server of the service running on the same DATA_DIR', async () => {
    const dataDir = join(dir, 'data');
    const embedded = await startEmbeddedRedis({ dataDir });
    try {
      const r = await aduan(['agency-key', 'create', '--coordinator'], { DATA_DIR: dataDir });
      expect(r.code).toBe(0);
      const client = new Redis(embedded.url);
      try {
        expect(await new ApiKeys(client, new Keys()).verify(r.stdout.trim())).toMatchObject({
          role: 'coordinator',
          agencyId: null,
        });
      } finally {
        client.quit();
      }
    } finally {
      await embedded.stop();
    }
  });

  it('queues lists job counts and the failed jobs with their reasons', async () => {
    const app = await startTestAduan({ redisUrl: redis.url, keyPrefix: 'aduan', role: 'worker' });
    try {
      // A payload no worker can ever process: failed at once, kept for inspection.
      await app.queues.tickets.add('ticket', { submission: { submissionId: 'not-valid' } } as never, {
        jobId: 'ticket-broken-1',
      });
      await expect.poll(() => app.queues.tickets.getFailedCount(), { timeout: 20_000 }).toBe(1);
    } finally {
      await app.stop();
      await cleanup(app.dataDir);
    }
    const r = await aduan(['queues'], { REDIS_URL: redis.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^tickets +waiting 0 .* failed 1$/m);
    expect(r.stdout).toMatch(/failed ticket-broken-1 {2}attempts 1 .*invalid tickets payload/);
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttachmentStore } from '../../src/attachments/attachment-store.ts';
import {
  type AttachmentSweepOptions,
  attachmentGraceMs,
  createAttachmentSweeper,
} from '../../src/attachments/attachment-sweep.ts';
import { createAttachmentResolver } from '../../src/attachments/resolve-attachments.ts';
import { createLogger } from '../../src/log/logger.ts';
import { Keys } from '../../src/redis/keys.ts';
import { type ScriptedRedis, withScripts } from '../../src/redis/scripts.ts';
import { ticketFromSubmission } from '../../src/tickets/from-submission.ts';
import { TicketStore } from '../../src/tickets/ticket-store.ts';
import { submissionFixture } from '../support/fixtures.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

/** When set, runs just before the sweep moves a file aside: what a citizen does at that instant. */
const race = vi.hoisted(() => ({ beforeAside: null as null | (() => Promise<unknown>) }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    rename: (async (from: string, to: string) => {
      const act = race.beforeAside;
      if (act && to.endsWith('.sweep')) {
        race.beforeAside = null;
        await act();
      }
      return real.rename(from, to);
    }) as typeof real.rename,
  };
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GRACE = attachmentGraceMs(24);

/** Log lines, kept to check what the sweep says. */
class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

/** A small PNG whose bytes (and so its stored name) differ per call. */
function png(): Buffer {
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(32)]);
}

describe('the attachment sweep', () => {
  let server: TestRedis;
  let redis: ScriptedRedis;
  let dir: string;
  let keys: Keys;
  let store: AttachmentStore;
  let tickets: TicketStore;
  let logs: LogCapture;

  beforeAll(async () => {
    server = await startTestRedis();
    redis = withScripts(new Redis(server.url));
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aduan-sweep-'));
    keys = new Keys(`sweep${randomBytes(4).toString('hex')}`);
    store = new AttachmentStore(dir);
    tickets = new TicketStore(redis, keys);
    logs = new LogCapture();
  });
  afterEach(async () => {
    race.beforeAside = null;
    await rm(dir, { recursive: true, force: true });
  });

  const sweeper = (options: Partial<AttachmentSweepOptions> = {}) =>
    createAttachmentSweeper({
      redis,
      keys,
      dir,
      graceMs: GRACE,
      logger: createLogger('debug', logs),
      ...options,
    });
  const nameOf = (ref: string) => ref.slice('file:'.length);
  const exists = async (ref: string) => (await readdir(dir)).includes(nameOf(ref));
  /** Sets a file's modification time `ageMs` before now, as if it was last uploaded then. */
  const age = async (ref: string, ageMs: number) => {
    const then = new Date(Date.now() - ageMs);
    await utimes(join(dir, nameOf(ref)), then, then);
  };
  /** A ticket with these stored files, made by the store's create script. */
  const ticketWith = async (id: string, refs: string[]) => {
    const ticket = ticketFromSubmission(
      submissionFixture(id),
      { channel: 'web', chatId: `chat-${id}`, lang: 'id' },
      {
        trackingId: `ADU-SWEEP-${id.toUpperCase()}`,
        agencyId: 'sleman-diskominfo',
        now: new Date(),
        attachments: {
          stored: refs.map((ref) => ({ ref, mimeType: 'image/png', fileName: 'foto-rumah-saya.png' })),
          rejected: [],
        },
      },
    );
    const at = ticket.createdAt;
    const made = await tickets.create(ticket, {
      seq: 1,
      at,
      actor: { kind: 'system' },
      type: 'created',
      to: 'received',
    });
    expect(made.result).toBe('created');
  };
  /** The kept set existed before any of this test's tickets: no backfill to wait for. */
  const setExistedAlready = () => redis.set(keys.attachmentsKeptBackfill, 'done');

  it('never deletes a file a ticket keeps, however old', async () => {
    await setExistedAlready();
    const { ref } = await store.put(png(), 'image/png');
    await ticketWith('kept', [ref]);
    await age(ref, 10 * 365 * DAY);
    const report = await sweeper()(new Date());
    expect(report).toMatchObject({ examined: 1, kept: 1, deleted: 0 });
    expect(await exists(ref)).toBe(true);
    // Every later pass too.
    const later = await sweeper({ restMs: 0 })(new Date(Date.now() + 365 * DAY));
    expect(later).toMatchObject({ kept: 1, deleted: 0 });
    expect(await exists(ref)).toBe(true);
  });

  it('deletes a file no ticket keeps once it is older than the grace period', async () => {
    await setExistedAlready();
    const old = await store.put(png(), 'image/png');
    await age(old.ref, GRACE + HOUR);
    const report = await sweeper()(new Date());
    expect(report).toMatchObject({ examined: 1, deleted: 1, freedBytes: 40, passDone: true });
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps a file no ticket keeps while it is younger than the grace period', async () => {
    await setExistedAlready();
    const recent = await store.put(png(), 'image/png');
    await age(recent.ref, GRACE - HOUR);
    expect(await sweeper()(new Date())).toMatchObject({ examined: 1, deleted: 0 });
    expect(await exists(recent.ref)).toBe(true);
  });

  it('counts a file’s age from its last upload: the same file uploaded again is kept', async () => {
    await setExistedAlready();
    const bytes = png();
    const { ref } = await store.put(bytes, 'image/png');
    await age(ref, 30 * DAY);
    // Another citizen sends the same photo: same content, same name; a fresh draft now refers to it.
    expect((await store.put(bytes, 'image/png')).ref).toBe(ref);
    expect(Date.now() - (await stat(join(dir, nameOf(ref)))).mtimeMs).toBeLessThan(HOUR);
    expect(await sweeper()(new Date())).toMatchObject({ deleted: 0 });
    expect(await exists(ref)).toBe(true);
  });

  it('counts the ticket worker’s use of a file as its last upload', async () => {
    await setExistedAlready();
    const { ref } = await store.put(png(), 'image/png');
    await age(ref, 30 * DAY);
    const resolve = createAttachmentResolver(store, new Map());
    expect((await resolve([{ ref, mimeType: 'image/png' }])).stored).toHaveLength(1);
    expect(await sweeper()(new Date())).toMatchObject({ deleted: 0 });
    expect(await exists(ref)).toBe(true);
  });

  it('puts back a file uploaded again between its last look and its deletion', async () => {
    await setExistedAlready();
    const bytes = png();
    const { ref } = await store.put(bytes, 'image/png');
    await age(ref, 30 * DAY);
    race.beforeAside = () => store.put(bytes, 'image/png');
    expect(await sweeper()(new Date())).toMatchObject({ examined: 1, deleted: 0 });
    expect(race.beforeAside).toBeNull();
    expect(await readdir(dir)).toEqual([nameOf(ref)]);
  });

  it('puts back a file a ticket took between its last look and its deletion', async () => {
    await setExistedAlready();
    const { ref } = await store.put(png(), 'image/png');
    await age(ref, 30 * DAY);
    race.beforeAside = () => ticketWith('late', [ref]);
    expect(await sweeper()(new Date())).toMatchObject({ examined: 1, deleted: 0 });
    expect(await readdir(dir)).toEqual([nameOf(ref)]);
  });

  it('finds the files of tickets made before the kept set existed, before deleting anything', async () => {
    const refs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { ref } = await store.put(png(), 'image/png');
      refs.push(ref);
      await ticketWith(`old${i}`, [ref]);
    }
    const unused = await store.put(png(), 'image/png');
    // Those tickets were stored by the earlier create script, which kept no set.
    await redis.del(keys.attachmentsKept);
    for (const ref of [...refs, unused.ref]) await age(ref, 90 * DAY);

    const sweep = sweeper({ ticketsPerRun: 2 });
    // Three runs read the five tickets, two at a time; nothing is deleted meanwhile.
    expect(await sweep(new Date())).toMatchObject({ backfilled: 2, examined: 0 });
    expect(await sweep(new Date())).toMatchObject({ backfilled: 2, examined: 0 });
    expect(await redis.get(keys.attachmentsKeptBackfill)).toBe('4');
    expect(await sweep(new Date())).toMatchObject({ backfilled: 1, examined: 6, kept: 5, deleted: 1 });
    expect(await redis.get(keys.attachmentsKeptBackfill)).toBe('done');
    expect((await redis.smembers(keys.attachmentsKept)).sort()).toEqual([...refs].sort());
    for (const ref of refs) expect(await exists(ref)).toBe(true);
    expect(await exists(unused.ref)).toBe(false);
    // Remembered: later runs read no ticket again.
    expect(await sweeper({ restMs: 0 })(new Date())).toMatchObject({ backfilled: 0 });
  });

  it('deletes a temporary file a crash left once it is an hour old, and only then', async () => {
    await setExistedAlready();
    const stale = join(dir, `.${'a'.repeat(64)}.png.${randomUUID()}.tmp`);
    const writing = join(dir, `.${'b'.repeat(64)}.png.${randomUUID()}.tmp`);
    await writeFile(stale, 'half a photo');
    await writeFile(writing, 'a photo being written');
    const then = new Date(Date.now() - 2 * HOUR);
    await utimes(stale, then, then);
    expect(await sweeper()(new Date())).toMatchObject({ tempDeleted: 1 });
    expect(await readdir(dir)).toEqual([writing.slice(dir.length + 1)]);
  });

  it('looks at a bounded number of files per run, goes on where it stopped, then rests', async () => {
    await setExistedAlready();
    const refs: string[] = [];
    for (let i = 0; i < 7; i++) refs.push((await store.put(png(), 'image/png')).ref);
    for (const ref of refs) await age(ref, GRACE + HOUR);
    const sweep = sweeper({ filesPerRun: 3 });
    const now = new Date();
    expect(await sweep(now)).toMatchObject({ examined: 3, deleted: 3, passDone: false });
    expect(await sweep(now)).toMatchObject({ examined: 3, deleted: 3, passDone: false });
    expect(await sweep(now)).toMatchObject({ examined: 1, deleted: 1, passDone: true });
    expect(await readdir(dir)).toEqual([]);
    // A new old file waits for the next pass, an hour after the last one ended.
    const late = await store.put(png(), 'image/png');
    await age(late.ref, GRACE + HOUR);
    expect(await sweep(new Date(now.getTime() + 30 * 60_000))).toMatchObject({ examined: 0 });
    expect(await sweep(new Date(now.getTime() + 61 * 60_000))).toMatchObject({ examined: 1, deleted: 1 });
  });

  it('puts back a file an interrupted sweep moved aside, and logs counts, never names', async () => {
    await setExistedAlready();
    const { ref } = await store.put(png(), 'image/png');
    await ticketWith('aside', [ref]);
    const aside = `.${nameOf(ref)}.${randomUUID()}.sweep`;
    await rename(join(dir, nameOf(ref)), join(dir, aside));
    expect(await sweeper()(new Date())).toMatchObject({ restored: 1, deleted: 0 });
    expect(await readdir(dir)).toEqual([nameOf(ref)]);
    const line = logs.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'attachment sweep');
    expect(line).toMatchObject({ level: 30, examined: 1, restored: 1 });
    expect(logs.lines.join('\n')).not.toMatch(/[a-f0-9]{64}|foto/);
  });
});

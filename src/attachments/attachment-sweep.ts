import { randomUUID } from 'node:crypto';
import { lstat, opendir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from '../log/logger.ts';
import type { Keys } from '../redis/keys.ts';

/** A stored file's name: `<sha256>.<ext>` (its ref is `file:` and this). */
const STORED_NAME = /^[a-f0-9]{64}\.(?:jpg|png|pdf)$/;
/** A write the store began and never renamed into place (`.<name>.<uuid>.tmp`, see `AttachmentStore.put`). */
const TEMP_NAME = /^\..*\.tmp$/;
/** A file this sweep moved aside for its last look (`.<name>.<uuid>.sweep`); `[1]` is its own name. */
const ASIDE_NAME = /^\.([a-f0-9]{64}\.(?:jpg|png|pdf))\.[0-9a-f-]+\.sweep$/;
/** Any stored ref written anywhere in a ticket's JSON (the backfill keeps every file a ticket names). */
const REF_IN_TEXT = /file:[a-f0-9]{64}\.(?:jpg|png|pdf)/g;

const HOUR = 3_600_000;

/**
 * How long an unreferenced file is kept after its last upload: twice the draft expiry, and at least
 * 48 hours. A draft lives `SESSION_EXPIRY_HOURS` after its last message, and a report's files are
 * refreshed again when its ticket is made, so a file still wanted is never this old.
 *
 * @example attachmentGraceMs(24) // 48 hours; attachmentGraceMs(72) // 144 hours
 */
export function attachmentGraceMs(sessionExpiryHours: number): number {
  return Math.max(48, 2 * sessionExpiryHours) * HOUR;
}

export interface AttachmentSweepOptions {
  redis: Redis;
  keys: Keys;
  /** The attachment store's folder (`DATA_DIR/attachments`). */
  dir: string;
  /** A stored file no ticket keeps is deleted once its last upload is this old (see {@link attachmentGraceMs}). */
  graceMs: number;
  /** A leftover temporary file is deleted once this old; 1 hour. */
  tempGraceMs?: number;
  /** Files looked at per run, at most; the next run goes on where this one stopped. 2,000. */
  filesPerRun?: number;
  /** Tickets read per run by the one-time backfill of the kept set. 5,000. */
  ticketsPerRun?: number;
  /** After a pass over the whole folder, the next pass starts no sooner than this; 1 hour. */
  restMs?: number;
  logger: Logger;
}

/** What one run did (also its log line): counts only, never a file's name. */
export interface AttachmentSweepReport {
  /** Tickets the backfill read this run. */
  backfilled: number;
  /** Files looked at. */
  examined: number;
  /** Unreferenced stored files deleted, and their bytes. */
  deleted: number;
  freedBytes: number;
  /** Leftover temporary files deleted. */
  tempDeleted: number;
  /** Old files kept because a ticket has them. */
  kept: number;
  /** Files moved aside by an interrupted sweep, put back under their name. */
  restored: number;
  /** Files that could not be looked at or deleted (left as they are). */
  failed: number;
  /** This run finished a pass over the folder. */
  passDone: boolean;
}

/**
 * Deletes the attachments nothing needs: a stored file older than the grace period that no ticket
 * keeps (a cancelled or expired draft's photo, an upload never sent), and a temporary file older
 * than an hour. Run by the housekeeping job; each run does bounded work, in name order, and the
 * next run goes on after the last name looked at (progress is in Redis, so any worker continues).
 *
 * The kept set (`Keys.attachmentsKept`) is filled by the ticket create script itself; tickets made
 * before it existed are read into it once, and no stored file is deleted until that has finished.
 * A file is moved aside before it is deleted and looked at once more there: one uploaded again (or
 * refreshed by the ticket worker) in the meantime is put back, so a re-upload is never lost.
 *
 * @example
 * const sweep = createAttachmentSweeper({ redis, keys, dir, graceMs: attachmentGraceMs(24), logger });
 * await sweep(new Date()); // → { deleted: 3, tempDeleted: 1, kept: 40, … }
 */
export function createAttachmentSweeper(
  options: AttachmentSweepOptions,
): (now: Date) => Promise<AttachmentSweepReport> {
  const { redis, keys, dir, graceMs, logger } = options;
  const tempGraceMs = options.tempGraceMs ?? HOUR;
  const filesPerRun = options.filesPerRun ?? 2000;
  const ticketsPerRun = options.ticketsPerRun ?? 5000;
  const restMs = options.restMs ?? HOUR;

  /** Reads up to `ticketsPerRun` tickets into the kept set; true once every ticket has been read. */
  async function backfill(report: AttachmentSweepReport): Promise<boolean> {
    const state = await redis.get(keys.attachmentsKeptBackfill);
    if (state === 'done') return true;
    let from = Number(state ?? 0) || 0;
    const end = from + ticketsPerRun;
    while (from < end) {
      const want = Math.min(500, end - from);
      const ids = await redis.zrange(keys.ticketsAll, String(from), String(from + want - 1));
      if (ids.length > 0) {
        const pipeline = redis.pipeline();
        for (const id of ids) pipeline.hget(keys.ticket(id), 't');
        const refs = new Set<string>();
        for (const [, json] of (await pipeline.exec()) ?? []) {
          if (typeof json === 'string') for (const ref of json.match(REF_IN_TEXT) ?? []) refs.add(ref);
        }
        if (refs.size > 0) await redis.sadd(keys.attachmentsKept, ...refs);
      }
      report.backfilled += ids.length;
      from += ids.length;
      // Tickets made from now on add their own files (ticket create script): the end is the end.
      if (ids.length < want) {
        await redis.set(keys.attachmentsKeptBackfill, 'done');
        return true;
      }
    }
    await redis.set(keys.attachmentsKeptBackfill, String(from));
    return false;
  }

  /** The next names after `cursor`, in order, at most `filesPerRun`; `last`: no name comes after them. */
  async function nextNames(cursor: string): Promise<{ names: string[]; last: boolean }> {
    let names: string[] = [];
    let folder: Awaited<ReturnType<typeof opendir>>;
    try {
      folder = await opendir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { names: [], last: true };
      throw err;
    }
    // Keeps the smallest names only, so memory stays bounded however large the folder is.
    let more = false;
    for await (const entry of folder) {
      if (entry.name <= cursor) continue;
      names.push(entry.name);
      if (names.length >= 2 * filesPerRun) {
        names = names.sort().slice(0, filesPerRun);
        more = true;
      }
    }
    names.sort();
    if (names.length > filesPerRun) more = true;
    return { names: names.slice(0, filesPerRun), last: !more };
  }

  async function isKept(name: string): Promise<boolean> {
    return (await redis.sismember(keys.attachmentsKept, `file:${name}`)) === 1;
  }

  /**
   * Deletes one stored file unless it was refreshed or kept meanwhile. Moved aside first, so an
   * upload of the same file from now on writes a new one under the name, and one made before the
   * move shows in the moved file's time: looked at there, it is put back.
   */
  async function remove(name: string, cutoff: number, report: AttachmentSweepReport): Promise<void> {
    const path = join(dir, name);
    const aside = join(dir, `.${name}.${randomUUID()}.sweep`);
    try {
      await rename(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return; // Gone already (another sweep).
    }
    const file = await lstat(aside);
    if (file.mtimeMs >= cutoff || (await isKept(name))) {
      // Same name, same content: putting it back over a newer copy loses nothing.
      await rename(aside, path);
      return;
    }
    await rm(aside, { force: true });
    report.deleted++;
    report.freedBytes += file.size;
  }

  async function look(name: string, now: number, report: AttachmentSweepReport): Promise<void> {
    const path = join(dir, name);
    const aside = ASIDE_NAME.exec(name);
    if (aside?.[1]) {
      // A sweep stopped between moving a file aside and deleting it: put back, judged next pass.
      await rename(path, join(dir, aside[1]));
      report.restored++;
      return;
    }
    const stored = STORED_NAME.test(name);
    if (!stored && !TEMP_NAME.test(name)) return; // Not the store's: left alone.
    const file = await lstat(path).catch(() => null);
    if (!file?.isFile()) return;
    if (!stored) {
      if (file.mtimeMs < now - tempGraceMs) {
        await rm(path, { force: true });
        report.tempDeleted++;
      }
      return;
    }
    if (file.mtimeMs >= now - graceMs) return;
    if (await isKept(name)) {
      report.kept++;
      return;
    }
    await remove(name, now - graceMs, report);
  }

  return async (now) => {
    const report: AttachmentSweepReport = {
      backfilled: 0,
      examined: 0,
      deleted: 0,
      freedBytes: 0,
      tempDeleted: 0,
      kept: 0,
      restored: 0,
      failed: 0,
      passDone: false,
    };
    // Until every older ticket's files are in the kept set, no stored file can be judged unused.
    const ready = await backfill(report);
    const state = await redis.hmget(keys.attachmentsSweep, 'cursor', 'restUntil');
    const cursor = state[0] ?? '';
    if (ready && Number(state[1] ?? 0) <= now.getTime()) {
      const { names, last } = await nextNames(cursor);
      for (const name of names) {
        report.examined++;
        try {
          await look(name, now.getTime(), report);
        } catch (err) {
          report.failed++;
          logger.debug({ error: (err as Error).message }, 'attachment sweep: a file was left as it is');
        }
      }
      report.passDone = last;
      if (last) await redis.hset(keys.attachmentsSweep, 'cursor', '', 'restUntil', now.getTime() + restMs);
      else await redis.hset(keys.attachmentsSweep, 'cursor', names.at(-1) ?? cursor);
    }
    if (report.backfilled > 0 || report.examined > 0) logger.info({ ...report }, 'attachment sweep');
    return report;
  };
}

// The lock file DATA_DIR/redis/aduan-redis.json of the embedded Redis: which Aduan process owns the
// server, taking it over from a dead owner (shutting down the server it left behind), and releasing it.
// Two servers over the same AOF files would corrupt them, so only the lock's holder may start one.
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { EmbeddedRedisError } from './embedded-error.ts';
import { probe, sendShutdown } from './redis-probe.ts';

/** The contents of DATA_DIR/redis/aduan-redis.json. */
export interface EmbeddedRedisLock {
  /** The Aduan process that owns the server. */
  pid: number;
  /** 0 and '' while the lock is held but the server is not spawned yet. */
  port: number;
  url: string;
  startedAt: string;
  /** 'starting' until the server answers PING; readers only trust 'ready'. */
  state: 'starting' | 'ready';
  /** The redis-server process itself, for diagnosis. */
  redisPid?: number;
}

/** The lock file's name inside DATA_DIR/redis. */
export const LOCK_FILE = 'aduan-redis.json';
// A lock in state 'starting' whose owner is alive is honoured this long even when nothing answers
// yet: spawning and the first PONG take well under this, and a larger AOF answers LOADING meanwhile.
const STARTING_GRACE_MS = 60_000;

/**
 * What the lock code logs through: the `warn` half of an `EmbeddedRedisLogger`, declared here so that this
 * module does not import embedded.ts, which imports it.
 */
export interface LockLogger {
  warn(o: object, msg?: string): void;
}

/**
 * Creates the lock file or explains who holds it. The lock is created with link(2), which fails
 * when the file exists, so two processes starting together cannot both win, and readers never see
 * a half-written file.
 */
export async function acquireLock(
  lockPath: string,
  lock: EmbeddedRedisLock,
  dataDir: string,
  logger: LockLogger,
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = await writeTemp(lockPath, lock);
    try {
      await link(tmp, lockPath);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await unlink(tmp).catch(() => {});
    }

    const existing = await readLock(lockPath);
    if (!existing) continue; // Removed in the meantime: try again.
    const held = existing.lock;
    if (held && (await isLockLive(held))) {
      const where = held.port ? ` on 127.0.0.1:${held.port}` : ' (still starting)';
      throw new EmbeddedRedisError(
        'locked',
        `Another Aduan process (pid ${held.pid}) already runs an embedded redis-server for DATA_DIR ` +
          `${dataDir}${where}, started ${held.startedAt}. Stop that process first, give this one its ` +
          'own DATA_DIR, or set REDIS_URL so that both use one Redis.',
      );
    }
    if (held?.url && (await shutDownOrphan(held, logger))) {
      logger.warn(
        { pid: held.pid, port: held.port },
        'shut down the embedded redis-server left running by an Aduan process that died',
      );
    }
    logger.warn({ pid: held?.pid, port: held?.port }, 'replacing a stale embedded redis lock');
    // Remove it only if it is still the file we judged stale.
    const again = await readLock(lockPath);
    if (again && again.raw === existing.raw) await unlink(lockPath).catch(() => {});
  }
  throw new EmbeddedRedisError('locked', `Could not take the embedded redis lock ${lockPath}; try again.`);
}

/** Live: the owner is alive and its server answers, or it is still within its start-up time. */
async function isLockLive(lock: EmbeddedRedisLock): Promise<boolean> {
  if (!isPidAlive(lock.pid)) return false;
  if (lock.url) {
    const state = await probe(lock.url, 1_000);
    if (state === 'pong' || state === 'loading') return true;
  }
  const age = Date.now() - Date.parse(lock.startedAt);
  return lock.state === 'starting' && age >= 0 && age < STARTING_GRACE_MS;
}

/**
 * When an Aduan process is killed outright, its redis-server keeps running over DATA_DIR/redis.
 * Starting a second server on the same files would corrupt the AOF, so shut the old one down
 * first. Only a server that accepts the lock's random password is ours to shut down.
 */
async function shutDownOrphan(lock: EmbeddedRedisLock, logger: LockLogger): Promise<boolean> {
  const state = await probe(lock.url, 1_000);
  if (state !== 'pong' && state !== 'loading') return false;
  await sendShutdown(lock.url);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const gone = (await probe(lock.url, 500)) === 'down';
    if (gone && !(lock.redisPid && isPidAlive(lock.redisPid))) return true;
    await sleep(100);
  }
  logger.warn({ port: lock.port, redisPid: lock.redisPid }, 'orphaned redis-server did not shut down');
  throw new EmbeddedRedisError(
    'locked',
    `An earlier embedded redis-server (pid ${lock.redisPid ?? 'unknown'}, port ${lock.port}) still runs ` +
      'over the same DATA_DIR and did not shut down. Stop it, then start Aduan again.',
  );
}

/** Removes the lock file if it is still `lock` (same owner and start); never throws for a missing file. */
export async function releaseLock(lockPath: string, lock: EmbeddedRedisLock): Promise<void> {
  const current = await readLock(lockPath);
  // Never remove a lock that another process has taken over since.
  if (current?.lock && current.lock.pid === lock.pid && current.lock.startedAt === lock.startedAt) {
    await unlink(lockPath).catch(() => {});
  }
}

/**
 * `releaseLock` for a `process.on('exit')` handler, where only synchronous calls run: removes the lock file
 * if it still names this owner and url. Never throws.
 */
export function releaseLockSync(lockPath: string, lock: EmbeddedRedisLock): void {
  try {
    const current = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<EmbeddedRedisLock>;
    if (current.pid === lock.pid && current.url === lock.url) unlinkSync(lockPath);
  } catch {
    // Nothing to clean: the lock is gone, or it is someone else's now.
  }
}

/**
 * The lock file's text and its contents, `lock: null` when they do not parse as a lock; null when there is
 * no lock file.
 */
export async function readLock(
  lockPath: string,
): Promise<{ raw: string; lock: EmbeddedRedisLock | null } | null> {
  let raw: string;
  try {
    raw = await readFile(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  // An unreadable lock is a stale lock (lock: null), not a reason to refuse to start.
  try {
    const data = JSON.parse(raw) as Record<string, unknown>;
    const valid =
      Number.isInteger(data.pid) &&
      Number.isInteger(data.port) &&
      typeof data.url === 'string' &&
      typeof data.startedAt === 'string';
    if (!valid) return { raw, lock: null };
    const lock: EmbeddedRedisLock = {
      pid: data.pid as number,
      port: data.port as number,
      url: data.url as string,
      startedAt: data.startedAt as string,
      state: data.state === 'starting' ? 'starting' : 'ready',
    };
    if (Number.isInteger(data.redisPid)) lock.redisPid = data.redisPid as number;
    return { raw, lock };
  } catch {
    return { raw, lock: null };
  }
}

/** Replaces the lock file with `lock` in one step, for the holder updating its own lock. */
export async function writeLockAtomically(lockPath: string, lock: EmbeddedRedisLock): Promise<void> {
  // rename(2) replaces the file in one step, so a reader sees the old lock or the new one.
  await rename(await writeTemp(lockPath, lock), lockPath);
}

async function writeTemp(lockPath: string, lock: EmbeddedRedisLock): Promise<string> {
  const tmp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // 0600: the url in it carries the password.
  await writeFile(tmp, `${JSON.stringify(lock, null, 2)}\n`, { mode: 0o600 });
  return tmp;
}

/** Whether a process with this pid exists, whoever it belongs to. */
export function isPidAlive(pid: number): boolean {
  // pid 0 or negative would address a whole process group.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

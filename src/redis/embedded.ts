// The Redis that Aduan starts for itself when REDIS_URL is unset, so a fresh Debian machine with
// Node 20 runs the whole service with no settings. It is a plain Debian `redis-server` child process:
// loopback only, a random password, AOF on, its files under DATA_DIR/redis. A lock file there says
// which Aduan process owns it, so two processes never run two servers over the same AOF files and
// CLI commands started with the same settings can find the running one.
//
// This module puts the pieces together; the lock file is in embedded-lock.ts, the child process in
// redis-process.ts and the client-less PING in redis-probe.ts.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { EmbeddedRedisError } from './embedded-error.ts';
import {
  acquireLock,
  type EmbeddedRedisLock,
  isPidAlive,
  LOCK_FILE,
  readLock,
  releaseLock,
  releaseLockSync,
  writeLockAtomically,
} from './embedded-lock.ts';
import { probe } from './redis-probe.ts';
import {
  findFreePort,
  LOG_FILE,
  resolveRedisServer,
  rotateLog,
  spawnRedis,
  terminate,
  waitForExit,
  waitForRedis,
} from './redis-process.ts';

// Re-exported so that everything imported from this module before the split still is.
export { EmbeddedRedisError, type EmbeddedRedisErrorCode } from './embedded-error.ts';
export type { EmbeddedRedisLock } from './embedded-lock.ts';
export { findFreePort } from './redis-process.ts';

/** The subset of a pino logger this module uses. */
export interface EmbeddedRedisLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

/** Options for {@link startEmbeddedRedis}. */
export interface EmbeddedRedisOptions {
  /** The service's DATA_DIR; the server keeps its files in DATA_DIR/redis. */
  dataDir: string;
  /** The redis-server binary (a path, or a name looked up on PATH). Default: `redis-server`. */
  redisServerPath?: string;
  logger?: EmbeddedRedisLogger;
  /** How long to wait for the first PONG. Default 10 s; time spent loading the AOF does not count. */
  startTimeoutMs?: number;
}

/** A running embedded redis-server. */
export interface EmbeddedRedis {
  /** `redis://:PASSWORD@127.0.0.1:PORT`. Contains the password: never log it. */
  url: string;
  port: number;
  /** Shuts the server down (flushing the AOF), waits for it to exit and removes the lock file. */
  stop(): Promise<void>;
}

const noopLogger: EmbeddedRedisLogger = { info() {}, warn() {} };

/**
 * Starts (or refuses to start) the embedded redis-server for `opts.dataDir`.
 * Throws {@link EmbeddedRedisError} when redis-server is missing, when another live Aduan process
 * already runs one for the same DATA_DIR, or when the server does not come up.
 */
export async function startEmbeddedRedis(opts: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const logger = opts.logger ?? noopLogger;
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  // Absolute, because redis-server resolves --dir itself and the lock compares paths.
  const dataDir = path.resolve(opts.dataDir);
  const redisDir = path.join(dataDir, 'redis');
  const lockPath = path.join(redisDir, LOCK_FILE);
  const logPath = path.join(redisDir, LOG_FILE);

  const binary = await resolveRedisServer(opts.redisServerPath ?? 'redis-server');
  // 0700: the AOF holds citizens' reports and the lock file holds the password.
  await mkdir(redisDir, { recursive: true, mode: 0o700 });

  const startedAt = new Date().toISOString();
  let lock: EmbeddedRedisLock = { pid: process.pid, port: 0, url: '', startedAt, state: 'starting' };
  await acquireLock(lockPath, lock, dataDir, logger);

  let child: ChildProcess | undefined;
  try {
    await rotateLog(logPath);
    const password = randomBytes(24).toString('hex');
    // A port found free can be taken again before redis-server binds it; try a fresh one then.
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      const url = `redis://:${password}@127.0.0.1:${port}`;
      logger.info({ port, dir: redisDir, redisServer: binary }, 'starting embedded redis-server');
      const started = await spawnRedis(binary, redisDir, logPath, port, password);
      child = started.child;
      lock = { ...lock, port, url, redisPid: child.pid };
      await writeLockAtomically(lockPath, lock);
      try {
        await waitForRedis(started, port, password, timeoutMs);
      } catch (err) {
        const retry = err instanceof EmbeddedRedisError && /Address already in use/.test(err.message);
        if (retry && attempt < 3) {
          logger.warn({ port, attempt }, 'port was taken before redis-server bound it; trying another');
          continue;
        }
        throw err;
      }
      lock = { ...lock, state: 'ready' };
      await writeLockAtomically(lockPath, lock);
      logger.info({ port, redisPid: child.pid }, 'embedded redis-server ready');
      return makeHandle(started.child, lock, lockPath, logPath, logger);
    }
  } catch (err) {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await waitForExit(child, 5_000);
    }
    await releaseLock(lockPath, lock);
    throw err;
  }
}

/**
 * The url of the embedded redis-server that an Aduan process runs for `dataDir`, or null when
 * none runs (no lock file, its owner is dead, it is still starting, or it does not answer PING).
 * For CLI commands started with the same settings as the service.
 */
export async function readEmbeddedRedisUrl(dataDir: string): Promise<string | null> {
  const lockPath = path.join(path.resolve(dataDir), 'redis', LOCK_FILE);
  const lock = (await readLock(lockPath))?.lock;
  if (lock?.state !== 'ready' || !isPidAlive(lock.pid)) return null;
  return (await probe(lock.url, 1_000)) === 'pong' ? lock.url : null;
}

// ---------------------------------------------------------------------------------------------
// The running server

function makeHandle(
  child: ChildProcess,
  lock: EmbeddedRedisLock,
  lockPath: string,
  logPath: string,
  logger: EmbeddedRedisLogger,
): EmbeddedRedis {
  let stopping: Promise<void> | undefined;

  // If this process exits without stop() (process.exit, an uncaught error), take the server down
  // with it: SIGTERM makes redis fsync the AOF and exit on its own after we are gone. The child runs
  // in its own process group, so a Ctrl-C reaches only Aduan, which can then drain its queues while
  // Redis still answers. After SIGKILL of Aduan the server lives on; the next start shuts it down.
  const onProcessExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    releaseLockSync(lockPath, lock);
  };
  process.on('exit', onProcessExit);

  child.once('exit', (code, signal) => {
    if (stopping) return;
    // Readiness checks will fail from now on; this line says why.
    logger.warn({ code, signal, port: lock.port, log: logPath }, 'embedded redis-server exited unexpectedly');
  });

  return {
    url: lock.url,
    port: lock.port,
    stop() {
      stopping ??= (async () => {
        process.off('exit', onProcessExit);
        logger.info({ port: lock.port }, 'stopping embedded redis-server');
        // SIGTERM is a graceful SHUTDOWN for redis (AOF fsync'd), and needs no connection.
        if (!(await terminate(child, 'SIGTERM', 15_000))) {
          logger.warn({ port: lock.port }, 'redis-server did not exit after SIGTERM; killing it');
          await terminate(child, 'SIGKILL', 5_000);
        }
        await releaseLock(lockPath, lock);
        logger.info({ port: lock.port }, 'embedded redis-server stopped');
      })();
      return stopping;
    },
  };
}

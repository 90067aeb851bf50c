// The Redis that Aduan starts for itself when REDIS_URL is unset, so a fresh Debian machine with
// Node 20 runs the whole service with no settings. It is a plain Debian `redis-server` child process:
// loopback only, a random password, AOF on, its files under DATA_DIR/redis. A lock file there says
// which Aduan process owns it, so two processes never run two servers over the same AOF files and
// CLI commands started with the same settings can find the running one.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, readFileSync, unlinkSync } from 'node:fs';
import { access, link, mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

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

/** Why the embedded Redis could not start; `message` is written for the person running Aduan. */
export type EmbeddedRedisErrorCode = 'not_found' | 'locked' | 'start_failed' | 'timeout';

/** A start-up failure of the embedded Redis, with a message that says what to do. */
export class EmbeddedRedisError extends Error {
  override readonly name = 'EmbeddedRedisError';
  constructor(
    readonly code: EmbeddedRedisErrorCode,
    message: string,
  ) {
    super(message);
  }
}

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

const LOCK_FILE = 'aduan-redis.json';
const LOG_FILE = 'redis.log';
// A lock in state 'starting' whose owner is alive is honoured this long even when nothing answers
// yet: spawning and the first PONG take well under this, and a larger AOF answers LOADING meanwhile.
const STARTING_GRACE_MS = 60_000;
// redis.log only gets start/stop and AOF rewrite lines, but it is never rotated by anyone else.
const LOG_ROTATE_BYTES = 5 * 1024 * 1024;
const NOT_FOUND_MESSAGE =
  "redis-server not found. Run `bash scripts/setup.sh` (installs Debian's redis-server) or set REDIS_URL.";

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

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it: listen on 0, close). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
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
    try {
      const current = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<EmbeddedRedisLock>;
      if (current.pid === lock.pid && current.url === lock.url) unlinkSync(lockPath);
    } catch {
      // Nothing to clean: the lock is gone, or it is someone else's now.
    }
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

interface Started {
  child: ChildProcess;
  logPath: string;
  /** Where this run's lines start in redis.log, so errors quote this run only. */
  logOffset: number;
  exited: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
}

async function spawnRedis(
  binary: string,
  redisDir: string,
  logPath: string,
  port: number,
  password: string,
): Promise<Started> {
  // Log to a file rather than a pipe: the log outlives this process, a pipe would need draining
  // forever, and a start-up error can quote it. stdout/stderr go to the same file because redis
  // prints a few lines (config errors among them) before it opens --logfile.
  const log = await open(logPath, 'a', 0o600);
  const logOffset = (await log.stat()).size;
  let child: ChildProcess;
  try {
    child = spawn(
      binary,
      [
        // '-' reads more config from stdin: the password never appears in `ps` output.
        '-',
        ...['--bind', '127.0.0.1', '--port', String(port), '--protected-mode', 'yes'],
        ...['--dir', redisDir, '--appendonly', 'yes', '--appendfsync', 'everysec'],
        // No RDB snapshots: the AOF is the durable copy (and shutdown does not pause for a save).
        ...['--save', ''],
        ...['--daemonize', 'no', '--logfile', logPath],
      ],
      { stdio: ['pipe', log.fd, log.fd], detached: true },
    );
  } finally {
    // The child holds its own copy of the descriptor.
    await log.close();
  }
  const started: Started = { child, logPath, logOffset, exited: undefined };
  child.once('error', (error) => {
    started.exited = { code: null, signal: null, error };
  });
  child.once('exit', (code, signal) => {
    started.exited ??= { code, signal };
  });
  // A binary that is not redis-server may exit without reading stdin; EPIPE is not our problem then.
  child.stdin?.on('error', () => {});
  // BullMQ needs noeviction (the default, but a stray system config must not change it).
  child.stdin?.end(`requirepass ${password}\nmaxmemory-policy noeviction\n`);
  return started;
}

async function waitForRedis(started: Started, port: number, password: string, timeoutMs: number) {
  const url = `redis://:${password}@127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    if (started.exited) {
      const { code, signal, error } = started.exited;
      const how = error ? `could not run (${error.message})` : `exited with ${signal ?? `code ${code}`}`;
      throw new EmbeddedRedisError(
        'start_failed',
        `redis-server ${how} before answering PING.${await logTailText(started)}`,
      );
    }
    const state = await probe(url, 1_000);
    if (state === 'pong') return;
    // A large AOF takes a while to load; the server is alive and making progress, so keep waiting.
    if (state !== 'loading' && Date.now() > deadline) {
      started.child.kill('SIGKILL');
      throw new EmbeddedRedisError(
        'timeout',
        `redis-server did not answer PING on 127.0.0.1:${port} within ${timeoutMs} ms.${await logTailText(started)}`,
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 200);
  }
}

/** Sends `signal` unless the child is gone, and reports whether it exited within `timeoutMs`. */
async function terminate(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number) {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  child.kill(signal);
  return waitForExit(child, timeoutMs);
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function logTailText(started: Started): Promise<string> {
  const lines = await readLogTail(started.logPath, started.logOffset, 15);
  const where = ` (log: ${started.logPath})`;
  return lines.length ? `${where}\nLast lines of the redis log:\n${lines.join('\n')}` : where;
}

async function readLogTail(logPath: string, fromOffset: number, maxLines: number): Promise<string[]> {
  try {
    const file = await open(logPath, 'r');
    try {
      const { size } = await file.stat();
      // This run's lines only, and at most the last 8 KiB of them.
      const start = Math.max(fromOffset, size - 8192);
      const buffer = Buffer.alloc(Math.max(0, size - start));
      await file.read(buffer, 0, buffer.length, start);
      return buffer
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .slice(-maxLines);
    } finally {
      await file.close();
    }
  } catch {
    return [];
  }
}

async function rotateLog(logPath: string) {
  try {
    if ((await stat(logPath)).size > LOG_ROTATE_BYTES) await rename(logPath, `${logPath}.1`);
  } catch {
    // No log yet.
  }
}

// ---------------------------------------------------------------------------------------------
// The lock file

/**
 * Creates the lock file or explains who holds it. The lock is created with link(2), which fails
 * when the file exists, so two processes starting together cannot both win, and readers never see
 * a half-written file.
 */
async function acquireLock(
  lockPath: string,
  lock: EmbeddedRedisLock,
  dataDir: string,
  logger: EmbeddedRedisLogger,
) {
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
async function shutDownOrphan(lock: EmbeddedRedisLock, logger: EmbeddedRedisLogger): Promise<boolean> {
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

async function releaseLock(lockPath: string, lock: EmbeddedRedisLock) {
  const current = await readLock(lockPath);
  // Never remove a lock that another process has taken over since.
  if (current?.lock && current.lock.pid === lock.pid && current.lock.startedAt === lock.startedAt) {
    await unlink(lockPath).catch(() => {});
  }
}

async function readLock(lockPath: string): Promise<{ raw: string; lock: EmbeddedRedisLock | null } | null> {
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

async function writeLockAtomically(lockPath: string, lock: EmbeddedRedisLock) {
  // rename(2) replaces the file in one step, so a reader sees the old lock or the new one.
  await rename(await writeTemp(lockPath, lock), lockPath);
}

async function writeTemp(lockPath: string, lock: EmbeddedRedisLock): Promise<string> {
  const tmp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // 0600: the url in it carries the password.
  await writeFile(tmp, `${JSON.stringify(lock, null, 2)}\n`, { mode: 0o600 });
  return tmp;
}

function isPidAlive(pid: number): boolean {
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

// ---------------------------------------------------------------------------------------------
// Talking to redis-server without a client library: a probe must not reconnect or log on its own.

type ProbeState = 'pong' | 'loading' | 'other' | 'down';

/** AUTH (when the url has a password) and PING over one short-lived socket. */
async function probe(url: string, timeoutMs: number): Promise<ProbeState> {
  const target = parseRedisUrl(url);
  if (!target) return 'down';
  const commands = target.password ? [['AUTH', target.password], ['PING']] : [['PING']];
  const replies = await exchange(target.port, commands, commands.length, timeoutMs);
  if (!replies) return 'down';
  const ping = replies[replies.length - 1] ?? '';
  if (target.password && replies[0] !== '+OK') return 'other';
  if (ping === '+PONG') return 'pong';
  return ping.startsWith('-LOADING') ? 'loading' : 'other';
}

async function sendShutdown(url: string) {
  const target = parseRedisUrl(url);
  if (!target) return;
  const commands = target.password ? [['AUTH', target.password], ['SHUTDOWN']] : [['SHUTDOWN']];
  // A successful SHUTDOWN closes the connection without a reply.
  await exchange(target.port, commands, commands.length, 5_000);
}

function parseRedisUrl(url: string): { port: number; password: string } | null {
  try {
    const parsed = new URL(url);
    const port = Number(parsed.port);
    if (!Number.isInteger(port) || port <= 0) return null;
    return { port, password: decodeURIComponent(parsed.password) };
  } catch {
    return null;
  }
}

/**
 * Sends RESP commands to 127.0.0.1:port and collects `expected` one-line replies (+OK, +PONG,
 * -ERR …: all these commands answer with one line). Null when nothing listens or on timeout.
 */
function exchange(port: number, commands: string[][], expected: number, timeoutMs: number) {
  return new Promise<string[] | null>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buffered = '';
    let settled = false;
    const finish = (result: string[] | null) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    const lines = () => buffered.split('\r\n').slice(0, -1);
    socket.setTimeout(timeoutMs, () => finish(null));
    socket.on('error', () => finish(lines().length ? lines() : null));
    socket.on('close', () => finish(lines().length ? lines() : null));
    socket.on('connect', () => {
      socket.write(commands.map(encodeCommand).join(''));
    });
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      const got = lines();
      if (got.length >= expected) finish(got.slice(0, expected));
    });
  });
}

function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

// ---------------------------------------------------------------------------------------------

async function resolveRedisServer(nameOrPath: string): Promise<string> {
  const candidates = nameOrPath.includes('/')
    ? [path.resolve(nameOrPath)]
    : [
        ...(process.env.PATH ?? '')
          .split(path.delimiter)
          .filter(Boolean)
          .map((d) => path.join(d, nameOrPath)),
        // Debian installs it here; a service manager's PATH may be minimal.
        `/usr/bin/${nameOrPath}`,
        `/usr/local/bin/${nameOrPath}`,
      ];
  for (const candidate of candidates) {
    try {
      await access(candidate, fsConstants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // Try the next one.
    }
  }
  throw new EmbeddedRedisError('not_found', NOT_FOUND_MESSAGE);
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

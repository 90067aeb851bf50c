// The redis-server child process of the embedded Redis: finding the binary, spawning it with its
// settings, waiting for its first PONG, stopping it, and its log file. Knows nothing of the lock file.
import { type ChildProcess, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, open, rename, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { EmbeddedRedisError } from './embedded-error.ts';
import { probe } from './redis-probe.ts';

/** The server's log file inside DATA_DIR/redis. */
export const LOG_FILE = 'redis.log';
// redis.log only gets start/stop and AOF rewrite lines, but it is never rotated by anyone else.
const LOG_ROTATE_BYTES = 5 * 1024 * 1024;
const NOT_FOUND_MESSAGE =
  "redis-server not found. Run `bash scripts/setup.sh` (installs Debian's redis-server) or set REDIS_URL.";

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

/** A spawned redis-server and what its start-up errors need: where its log is and how it ended. */
export interface Started {
  child: ChildProcess;
  logPath: string;
  /** Where this run's lines start in redis.log, so errors quote this run only. */
  logOffset: number;
  exited: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
}

/**
 * Spawns redis-server on 127.0.0.1:`port` with its files in `redisDir` and `password` required, in its own
 * process group. Does not wait for it: see `waitForRedis`.
 */
export async function spawnRedis(
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
  let started: Started;
  try {
    const child = spawn(
      binary,
      [
        // '-' reads more config from stdin: the password never appears in `ps` output.
        '-',
        ...['--bind', '127.0.0.1', '--port', String(port), '--protected-mode', 'yes'],
        ...['--dir', redisDir, '--appendonly', 'yes', '--appendfsync', 'everysec'],
        // No RDB snapshots: the AOF is the durable copy (and shutdown does not pause for a save).
        ...['--save', ''],
        // A session hash holds a few fields of up to a few KB (the draft, the last replies): kept as
        // one compact listpack instead of a hash table, it takes about a third less memory.
        ...['--hash-max-listpack-value', '4096'],
        ...['--daemonize', 'no', '--logfile', logPath],
      ],
      { stdio: ['pipe', log.fd, log.fd], detached: true },
    );
    // Listened to at once, before anything is awaited: a server that fails straight away (a port
    // taken, a bad config) can exit while we wait, and an 'exit' emitted with no listener is gone —
    // the start would then wait for PING until its timeout instead of quoting the error.
    const watched: Started = { child, logPath, logOffset, exited: undefined };
    child.once('error', (error) => {
      watched.exited = { code: null, signal: null, error };
    });
    child.once('exit', (code, signal) => {
      watched.exited ??= { code, signal };
    });
    started = watched;
  } finally {
    // The child holds its own copy of the descriptor.
    await log.close();
  }
  const { child } = started;
  // A binary that is not redis-server may exit without reading stdin; EPIPE is not our problem then.
  child.stdin?.on('error', () => {});
  // BullMQ needs noeviction (the default, but a stray system config must not change it).
  child.stdin?.end(`requirepass ${password}\nmaxmemory-policy noeviction\n`);
  return started;
}

/**
 * Resolves at the first PONG; a server still loading its AOF is waited for past `timeoutMs`.
 *
 * @throws EmbeddedRedisError `start_failed` when the process exits first, `timeout` when it never answers
 */
export async function waitForRedis(
  started: Started,
  port: number,
  password: string,
  timeoutMs: number,
): Promise<void> {
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
export async function terminate(
  child: ChildProcess,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  child.kill(signal);
  return waitForExit(child, timeoutMs);
}

/** Whether the child exits within `timeoutMs` (true at once if it already has). */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
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

/** Moves a log grown past 5 MiB to `<log>.1`, replacing the previous one, since nothing else rotates it. */
export async function rotateLog(logPath: string): Promise<void> {
  try {
    if ((await stat(logPath)).size > LOG_ROTATE_BYTES) await rename(logPath, `${logPath}.1`);
  } catch {
    // No log yet.
  }
}

/**
 * The redis-server binary to run: `nameOrPath` itself when it has a slash, else the first executable of that
 * name on PATH or in Debian's usual places.
 *
 * @throws EmbeddedRedisError `not_found`
 */
export async function resolveRedisServer(nameOrPath: string): Promise<string> {
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

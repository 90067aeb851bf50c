// A real redis-server for integration tests: one per test file (beforeAll/afterAll), on a free
// loopback port, in its own temp dir, so test files running in parallel never share state.
// AOF with appendfsync always: a test that SIGKILLs the server and restarts it loses no write.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/redis/embedded.ts';

/** A redis-server started by {@link startTestRedis}. */
export interface TestRedis {
  /** `redis://127.0.0.1:PORT` (no password). */
  url: string;
  port: number;
  /** The server's --dir (AOF in `appendonlydir/`, log in `redis.log`). */
  dir: string;
  /** Graceful shutdown, then the temp dir is removed. For afterAll; the server cannot restart after. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; the dir stays so that restart() can recover from the AOF. */
  kill(): Promise<void>;
  /** Stops the server if it runs (gracefully), then starts it again on the same port and dir. */
  restart(): Promise<void>;
}

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** Starts a throwaway redis-server on a free loopback port in a new temp dir, with AOF on. */
export async function startTestRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(path.join(tmpdir(), 'aduan-test-redis-'));
  const port = await findFreePort();
  let child: ChildProcess | undefined;
  let stopped = false;

  // A test worker that dies without afterAll must not leave servers behind.
  const onProcessExit = () => child?.kill('SIGKILL');
  process.on('exit', onProcessExit);

  const start = async () => {
    child = await spawnRedis(dir, port);
  };
  const halt = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    await exited;
  };

  try {
    await start();
  } catch (err) {
    process.off('exit', onProcessExit);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt('SIGTERM');
      process.off('exit', onProcessExit);
      await rm(dir, { recursive: true, force: true });
    },
    async kill() {
      await halt('SIGKILL');
    },
    async restart() {
      if (stopped) throw new Error('startTestRedis: restart() after stop()');
      await halt('SIGTERM');
      await start();
    },
  };
}

async function spawnRedis(dir: string, port: number): Promise<ChildProcess> {
  const logPath = path.join(dir, 'redis.log');
  const child = spawn(
    REDIS_SERVER,
    [
      ...['--bind', '127.0.0.1', '--port', String(port), '--dir', dir],
      ...['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
      ...['--protected-mode', 'yes', '--daemonize', 'no', '--logfile', logPath],
    ],
    { stdio: 'ignore' },
  );
  let exited: string | undefined;
  child.once('error', (err) => {
    exited = `could not run ${REDIS_SERVER} (${err.message}); run \`bash scripts/setup.sh --test\``;
  });
  child.once('exit', (code, signal) => {
    exited ??= `exited with ${signal ?? `code ${code}`}`;
  });

  const deadline = Date.now() + 10_000;
  while (!(await pingAnswers(port))) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGKILL');
      const log = await readFile(logPath, 'utf8').catch(() => '');
      const tail = log.trim().split('\n').slice(-10).join('\n');
      throw new Error(
        `test redis-server on port ${port} ${exited ?? 'did not answer PING within 10 s'}\n${tail}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return child;
}

/** True when 127.0.0.1:port answers +PONG (not -LOADING) to an inline PING. */
function pingAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

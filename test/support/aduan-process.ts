import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

/** A real `aduan start` in its own process, as an operator runs it, for tests that crash it. */
export interface AduanProcess {
  child: ChildProcess;
  /** Everything it wrote (JSON log lines on stdout, the banner on stderr). */
  output: string[];
  /** SIGKILL, as a crash or the OOM killer would: no shutdown code runs. Resolves once it is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait: the clean stop. */
  stop(): Promise<void>;
}

/**
 * Spawns `node bin/aduan.js start --role ROLE` with `env` on top of a minimal environment, and
 * resolves once its log says `ready` (a line containing `readyLine`). The CLI always uses the
 * default key prefix `aduan`: a test that talks to the same Redis in-process must use it too.
 */
export async function spawnAduan(
  role: 'all' | 'bot' | 'worker' | 'api',
  env: Record<string, string>,
  readyLine: RegExp,
  timeoutMs = 30_000,
): Promise<AduanProcess> {
  const child = spawn(process.execPath, ['bin/aduan.js', 'start', '--role', role], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'info', FLOWS_WATCH: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let seen: () => void = () => undefined;
  const ready = new Promise<void>((ok) => {
    seen = ok;
  });
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      output.push(line);
      if (readyLine.test(line)) seen();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  // A test that fails half-way must not leave the process behind.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);

  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((ok) => {
      timer = setTimeout(ok, timeoutMs, 'timeout');
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== 'ready') {
    child.kill('SIGKILL');
    throw new Error(`aduan --role ${role} ${outcome} before ${readyLine}:\n${output.slice(-20).join('\n')}`);
  }
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    process.off('exit', onExit);
  };
  return { child, output, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

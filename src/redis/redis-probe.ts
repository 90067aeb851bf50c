// Talking to redis-server without a client library, for the embedded Redis's start-up and lock checks:
// a probe must not reconnect or log on its own, which a client like ioredis does.
import net from 'node:net';

/** What a probe found: a ready server, one still loading its AOF, something else, or nothing listening. */
export type ProbeState = 'pong' | 'loading' | 'other' | 'down';

/** AUTH (when the url has a password) and PING over one short-lived socket. */
export async function probe(url: string, timeoutMs: number): Promise<ProbeState> {
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

/** Asks the server at `url` to shut down (AUTH first when the url has a password); never throws. */
export async function sendShutdown(url: string): Promise<void> {
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

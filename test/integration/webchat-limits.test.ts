import { readdir } from 'node:fs/promises';
import { type ClientRequest, request } from 'node:http';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_UPLOADS_IN_PROGRESS, MAX_UPLOADS_PER_ADDRESS } from '../../src/http/webchat-routes.ts';
import { newWebChatId, type TestAduan, useTestApp } from '../support/aduan.ts';
import { answerInOrder, TO_ATTACHMENTS, WebChatClient } from '../support/web-client.ts';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('limits'),
]);

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

/** An upload being sent. `answered`: the status the server answered with, once it has; `closed`: the connection is gone. */
interface SlowUpload {
  req: ClientRequest;
  answered: number | null;
  code: string | null;
  closed: boolean;
}

/**
 * An upload from a client at `ip` that sends its first bytes and then waits (a slow phone, or
 * someone holding a slot on purpose). `req.end(rest)` finishes it; `req.destroy()` abandons it.
 */
function slowUpload(url: URL, ip: string): SlowUpload {
  const state: SlowUpload = {
    req: request(url, {
      method: 'POST',
      headers: { 'content-type': 'image/png', 'content-length': String(PNG.length), 'x-forwarded-for': ip },
    }),
    answered: null,
    code: null,
    closed: false,
  };
  state.req.on('response', (res) => {
    state.answered = res.statusCode ?? 0;
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      body += chunk;
    });
    res.on('end', () => {
      state.code = (JSON.parse(body || '{}') as { error?: { code?: string } }).error?.code ?? null;
    });
    res.on('error', () => undefined);
  });
  state.req.on('error', () => undefined);
  state.req.on('close', () => {
    state.closed = true;
  });
  state.req.write(PNG.subarray(0, 8));
  return state;
}

/** A whole upload from a client at `ip`. */
const upload = (url: URL, ip: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'image/png', 'x-forwarded-for': ip }, body: PNG });

/** Waits `ms`. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What the web chat holds open (event streams, uploads being read) is capped per address and per
 * process, and a slot comes back when its holder goes.
 */
describe('web chat limits on what is held open', () => {
  const env = useTestApp({
    env: { WEB_REQUESTS_PER_MINUTE_PER_IP: '100000', WEB_STREAMS_PER_IP: '3', WEB_STREAMS_PER_PROCESS: '5' },
  });
  let app: TestAduan;
  beforeAll(() => {
    app = env.app;
  });

  /** Opens an event stream as a client at `ip` (the app trusts X-Forwarded-For from loopback, as from a local proxy). */
  async function openStream(ip: string) {
    const controller = new AbortController();
    const res = await fetch(`${app.url}/chat/events?chatId=${newWebChatId()}`, {
      headers: { 'x-forwarded-for': ip },
      signal: controller.signal,
    });
    return {
      res,
      close: () => {
        controller.abort();
        res.body?.cancel().catch(() => undefined);
      },
    };
  }

  it('caps open event streams per address and per process, and a closed stream frees its slot', async () => {
    const a = await Promise.all([1, 2, 3].map(() => openStream('10.0.0.1')));
    expect(a.map((s) => s.res.status)).toEqual([200, 200, 200]);
    // A fourth from the same address, whatever chat id it makes up.
    const fourth = await openStream('10.0.0.1');
    expect(fourth.res.status).toBe(429);
    expect(await errorCode(fourth.res)).toBe('too_many_streams_from_address');

    const b = await Promise.all([1, 2].map(() => openStream('10.0.0.2')));
    expect(b.map((s) => s.res.status)).toEqual([200, 200]);
    // Five open in all: a new address is refused too, for the process's sake.
    const full = await openStream('10.0.0.3');
    expect(full.res.status).toBe(429);
    expect(full.res.headers.get('retry-after')).toBe('30');
    expect(await errorCode(full.res)).toBe('streams_full');

    // Closing one gives its slot back, to anyone.
    a[0]?.close();
    let c: Awaited<ReturnType<typeof openStream>> | undefined;
    await expect
      .poll(async () => {
        c = await openStream('10.0.0.3');
        if (c.res.status !== 200) await c.res.body?.cancel();
        return c.res.status;
      })
      .toBe(200);
    for (const s of [...a, ...b, c]) s?.close();
    // All closed: the address that was at its cap opens three again.
    await expect
      .poll(async () => {
        const again = await Promise.all([1, 2, 3].map(() => openStream('10.0.0.1')));
        for (const s of again) s.close();
        return again.map((s) => s.res.status);
      })
      .toEqual([200, 200, 200]);
  });

  it(`reads at most ${MAX_UPLOADS_IN_PROGRESS} uploads at once, and an upload that ends or is abandoned frees its slot`, async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await answerInOrder(citizen, TO_ATTACHMENTS);
    const url = new URL(`/chat/uploads?chatId=${citizen.chatId}`, app.url as string);
    // Each from an address of its own: the cap is the process's, and the per-address upload
    // rate limit (60 per 10 minutes) must not answer first.
    let clients = 0;
    const address = () => `10.1.${Math.floor(++clients / 250)}.${clients % 250}`;
    const quickUpload = () => upload(url, address());
    const slow = () => slowUpload(url, address());
    /**
     * Starts one slow upload per slot, then probes until the server refuses one more. A slow upload
     * that reached the server after a probe was refused in its place: it is started again.
     */
    const fill = async () => {
      const started = Array.from({ length: MAX_UPLOADS_IN_PROGRESS }, slow);
      for (let attempt = 0; attempt < 200; attempt++) {
        const res = await quickUpload();
        if (res.status === 503) return { slow: started, refused: res };
        expect(res.status).toBe(201);
        for (const [i, s] of started.entries())
          if (s.answered !== null) {
            s.req.destroy();
            started[i] = slow();
          }
        await pause(10);
      }
      throw new Error('never refused');
    };
    /** How many of a round's slow uploads the server is still reading (no answer yet). */
    const stillRead = async (round: { slow: { answered: number | null }[] }) => {
      await pause(200);
      return round.slow.filter((s) => s.answered === null).length;
    };

    const first = await fill();
    expect(first.refused.headers.get('retry-after')).toBe('5');
    expect(await errorCode(first.refused)).toBe('uploads_busy');
    // The refused one was the extra one: every slow upload is still being read.
    expect(await stillRead(first)).toBe(MAX_UPLOADS_IN_PROGRESS);

    // One finishes: its slot is free for the next upload.
    const [done, ...abandoned] = first.slow;
    done?.req.end(PNG.subarray(8));
    await expect.poll(() => done?.answered).toBe(201);
    expect((await quickUpload()).status).toBe(201);

    // The others are abandoned mid-body: all their slots come back (once the server has seen
    // them go), so a full set is read at once again.
    for (const s of abandoned) s.req.destroy();
    await expect
      .poll(async () => {
        const round = await fill();
        const held = await stillRead(round);
        for (const s of round.slow) s.req.destroy();
        return held;
      })
      .toBe(MAX_UPLOADS_IN_PROGRESS);
    citizen.close();
  });
});

describe('web chat uploads per address, and sent too slowly', () => {
  const READ_MS = 1500;
  const env = useTestApp({ env: { WEB_REQUESTS_PER_MINUTE_PER_IP: '100000' }, uploadReadMs: READ_MS });
  let app: TestAduan;
  let url: URL;
  beforeAll(async () => {
    app = env.app;
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await answerInOrder(citizen, TO_ATTACHMENTS);
    citizen.close();
    url = new URL(`/chat/uploads?chatId=${citizen.chatId}`, app.url as string);
  });

  it(`reads at most ${MAX_UPLOADS_PER_ADDRESS} uploads at once from one address; other addresses are not held up`, async () => {
    const ip = '10.2.0.1';
    const held = Array.from({ length: MAX_UPLOADS_PER_ADDRESS }, () => slowUpload(url, ip));
    // Probes until one more from the address is refused. A slow upload that reached the server
    // while a probe was being read was refused in its place: it is started again. (Few probes:
    // the address may send 60 uploads per 10 minutes.)
    let refused: Response | undefined;
    for (let attempt = 0; attempt < 20 && !refused; attempt++) {
      for (const [i, s] of held.entries())
        if (s.answered !== null) {
          s.req.destroy();
          held[i] = slowUpload(url, ip);
        }
      await pause(100);
      const res = await upload(url, ip);
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(201);
    }
    if (!refused) throw new Error('never refused');
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await errorCode(refused)).toBe('too_many_uploads_from_address');

    // Another address uploads meanwhile, and the address's own uploads are still being read.
    expect((await upload(url, '10.2.0.2')).status).toBe(201);
    expect(held.map((s) => s.answered)).toEqual(held.map(() => null));

    // One finishes: the address may upload again.
    const [done, ...rest] = held;
    done?.req.end(PNG.subarray(8));
    await expect.poll(() => done?.answered).toBe(201);
    expect((await upload(url, ip)).status).toBe(201);
    for (const s of rest) s.req.destroy();
  });

  it('answers an upload not read within the time limit 408, frees its slot, and writes no file', async () => {
    // The files stored so far (none when this test runs alone).
    const files = () => readdir(join(app.dataDir, 'attachments')).catch(() => []);
    const stored = await files();
    const ip = '10.3.0.1';
    const started = Date.now();
    const stalled = slowUpload(url, ip);
    await expect.poll(() => stalled.answered, { timeout: READ_MS + 10_000 }).toBe(408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(READ_MS - 100);
    await expect.poll(() => stalled.code).toBe('upload_timeout');
    // The rest of the body is not waited for: the connection is closed.
    await expect.poll(() => stalled.closed).toBe(true);

    // Its slot came back: the address has its whole share again, read at once (not refused)…
    const again = Array.from({ length: MAX_UPLOADS_PER_ADDRESS }, () => slowUpload(url, ip));
    await pause(300);
    expect(again.map((s) => s.answered)).toEqual(again.map(() => null));
    // …and cut off in time as well.
    await expect
      .poll(() => again.map((s) => s.answered), { timeout: READ_MS + 10_000 })
      .toEqual(again.map(() => 408));
    // Nothing was written for any of them, not even a temporary file.
    expect(await files()).toEqual(stored);
  });
});

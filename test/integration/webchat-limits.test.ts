import { type ClientRequest, request } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_UPLOADS_IN_PROGRESS } from '../../src/http/webchat-routes.ts';
import { newWebChatId, type TestAduan, useTestApp } from '../support/aduan.ts';
import { answerInOrder, TO_ATTACHMENTS, WebChatClient } from '../support/web-client.ts';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('limits'),
]);

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

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
    const upload = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'image/png', 'x-forwarded-for': address() },
        body: PNG,
      });

    /** An upload that sends its first bytes and then waits (a slow phone); `answered` once the server replies. */
    const slowUpload = () => {
      const state: { req: ClientRequest; answered: number | null } = {
        req: request(url, {
          method: 'POST',
          headers: {
            'content-type': 'image/png',
            'content-length': String(PNG.length),
            'x-forwarded-for': address(),
          },
        }),
        answered: null,
      };
      state.req.on('response', (res) => {
        state.answered = res.statusCode ?? 0;
        res.resume();
      });
      state.req.on('error', () => undefined);
      state.req.write(PNG.subarray(0, 8));
      return state;
    };
    /**
     * Starts one slow upload per slot, then probes until the server refuses one more. A slow upload
     * that reached the server after a probe was refused in its place: it is started again.
     */
    const fill = async () => {
      const slow = Array.from({ length: MAX_UPLOADS_IN_PROGRESS }, slowUpload);
      for (let attempt = 0; attempt < 200; attempt++) {
        const res = await upload();
        if (res.status === 503) return { slow, refused: res };
        expect(res.status).toBe(201);
        for (const [i, s] of slow.entries())
          if (s.answered !== null) {
            s.req.destroy();
            slow[i] = slowUpload();
          }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('never refused');
    };
    /** How many of a round's slow uploads the server is still reading (no answer yet). */
    const stillRead = async (round: { slow: { answered: number | null }[] }) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
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
    expect((await upload()).status).toBe(201);

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

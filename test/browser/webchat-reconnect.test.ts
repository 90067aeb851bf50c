// The web chat page in a real browser (headless Chromium, playwright-core) when the server refuses its
// event stream: a refusal (429) closes an EventSource for good, so the page opens a new one itself,
// after a growing delay, from the newest event it has. The refusal is real: the address's streams are
// capped low (WEB_STREAMS_PER_IP=2) and the test holds streams open from Node, from the same loopback
// address as the browser. The browser reaches the app through a TCP relay the test can cut, as a
// mobile network drops a connection.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, newWebChatId, startTestAduan, type TestAduan } from '../support/aduan.ts';
import { botMessages, collectPageErrors, launchChromium, waitForQuestion } from '../support/browser.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { WebChatClient } from '../support/web-client.ts';

/** Generous: a shared 2-core CI box runs Chromium, the app, its workers and redis-server at once. */
const WAIT_MS = 60_000;
const TEST_MS = 180_000;
const STREAMS_PER_IP = 2;
const WELCOME = 'Selamat datang di layanan pengaduan';
const REPORT_TYPE = 'Apa yang ingin Bapak/Ibu sampaikan?';

describe('web chat page whose event stream is refused', () => {
  let redis: TestRedis | undefined;
  let app: TestAduan | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let pageErrors: string[] = [];
  /** The page's requests for its event stream, in order: URL and the status it was answered with. */
  const streams: { url: URL; status?: number }[] = [];
  /** Event streams the test holds open from Node, to use up the address's share. */
  const held = new Set<() => void>();
  /** The relay between the browser and the app, and the connections through it. */
  let relay: Server | undefined;
  let pageUrl = '';
  const relayed = new Set<Socket>();

  beforeAll(async () => {
    redis = await startTestRedis();
    app = await startTestAduan({
      redisUrl: redis.url,
      env: { WEB_STREAMS_PER_IP: String(STREAMS_PER_IP), WEB_REQUESTS_PER_MINUTE_PER_IP: '100000' },
    });
    const { hostname, port } = new URL(app.url as string);
    relay = createServer((client) => {
      const upstream = connect(Number(port), hostname);
      client.pipe(upstream).pipe(client);
      for (const socket of [client, upstream]) {
        relayed.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          relayed.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
    });
    await new Promise<void>((ready) => relay?.listen(0, '127.0.0.1', ready));
    const address = relay.address();
    if (!address || typeof address === 'string') throw new Error('the relay has no port');
    pageUrl = `http://127.0.0.1:${address.port}/`;
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'id-ID', reducedMotion: 'reduce' });
    context.setDefaultTimeout(WAIT_MS);
    page = await context.newPage();
    pageErrors = collectPageErrors(page);
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/chat/events') streams.push({ url });
    });
    page.on('response', (response) => {
      const entry = streams.findLast((s) => s.url.href === response.url() && s.status === undefined);
      if (entry) entry.status = response.status();
    });
  }, 120_000);

  afterAll(async () => {
    for (const close of held) close();
    // Browser first: its open event stream would otherwise hold the server's shutdown up.
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    for (const socket of relayed) socket.destroy();
    relay?.close();
    await app?.stop();
    if (app) await cleanup(app.dataDir);
    await redis?.stop();
  }, 120_000);

  /** Opens an event stream from Node (loopback, as the browser) and keeps it open; returns how to close it. */
  async function holdStream(): Promise<() => void> {
    const controller = new AbortController();
    const res = await fetch(`${app?.url}/chat/events?chatId=${newWebChatId()}`, {
      signal: controller.signal,
    });
    expect(res.status, 'a stream the test holds').toBe(200);
    const close = () => {
      held.delete(close);
      controller.abort();
      res.body?.cancel().catch(() => undefined);
    };
    held.add(close);
    return close;
  }
  const refusals = () => streams.filter((s) => s.status === 429).length;
  const status = () => page.locator('#status').textContent();

  it('keeps trying while refused, reconnects by itself once a stream is free, and gets the greeting', {
    timeout: TEST_MS,
  }, async () => {
    const first = await holdStream();
    await holdStream();
    await page.goto(pageUrl);
    // Refused, and tried again (2 s later), with a calm word meanwhile; no greeting without a stream.
    await expect.poll(refusals, { timeout: WAIT_MS }).toBeGreaterThanOrEqual(2);
    expect(await status()).toBe('Menyambung kembali…');
    expect(await botMessages(page).count()).toBe(0);

    first();
    await page.locator('#status', { hasText: 'Terhubung' }).waitFor();
    await page.locator('.msg.bot', { hasText: WELCOME }).waitFor();
    expect(streams.at(-1)?.status).toBe(200);
    expect(pageErrors.filter((e) => !/429/.test(e))).toEqual([]);
  });

  it('after a refused reconnect, asks for what came after the newest message it has', {
    timeout: TEST_MS,
  }, async () => {
    if (!app) throw new Error('no app');
    const chatId = await page.evaluate<string | null>("localStorage.getItem('aduan.chatId')");
    if (!chatId) throw new Error('the page has no chat id');
    const outbox = async () => (await app?.redis.xrange(app.keys.webOutbox(chatId), '-', '+')) ?? [];
    const greetingId = (await outbox()).at(-1)?.[0];
    expect(greetingId).toBeTruthy();

    // The network drops: the page's stream ends, and the address's share is taken meanwhile, so
    // the browser's own reconnect (3 s later, with Last-Event-ID) is refused and closes it for good.
    for (const socket of relayed) socket.destroy();
    await page.locator('#status', { hasText: 'Menyambung kembali…' }).waitFor();
    let other: (() => void) | undefined;
    await expect
      .poll(
        async () => {
          other = await holdStream().catch(() => undefined);
          return Boolean(other);
        },
        { timeout: WAIT_MS },
      )
      .toBe(true);
    // The citizen (on another device, say) answers meanwhile; the reply waits in the outbox.
    await new WebChatClient(app.url as string, chatId).say('lapor');
    await expect.poll(async () => (await outbox()).length, { timeout: WAIT_MS }).toBeGreaterThanOrEqual(3);
    const before = refusals();
    await expect.poll(refusals, { timeout: WAIT_MS }).toBeGreaterThan(before);

    other?.();
    await waitForQuestion(page, REPORT_TYPE);
    expect(await status()).toBe('Terhubung');
    // The new EventSource asked for what came after the greeting; each message is shown once.
    const reopened = streams.at(-1);
    expect(reopened?.status).toBe(200);
    expect(reopened?.url.searchParams.get('lastEventId')).toBe(greetingId);
    expect(await page.locator('.msg.bot', { hasText: WELCOME }).count()).toBe(1);
    expect(await page.locator('.msg.bot', { hasText: REPORT_TYPE }).count()).toBe(1);
    expect(await page.locator('.msg.me', { hasText: 'lapor' }).count()).toBe(1);
  });
});

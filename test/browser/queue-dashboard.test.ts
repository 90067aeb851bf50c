// The queue dashboard (Bull Board) in headless Chromium: the browser asks for the admin token by
// HTTP Basic, and the UI must run under the dashboard's CSP (its own scripts only, no third party).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, startTestAduan, type TestAduan } from '../support/aduan.ts';
import { collectPageErrors, launchChromium } from '../support/browser.ts';
import { ticketJobFixture } from '../support/fixtures.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

const ADMIN = 'admin-token-0123456789abcdef';
/** Generous: a shared 2-core CI box runs Chromium, the app, its workers and redis-server at once. */
const WAIT_MS = 60_000;

describe('the queue dashboard in a browser', () => {
  let redis: TestRedis;
  let app: TestAduan;
  let browser: Browser;
  beforeAll(async () => {
    redis = await startTestRedis();
    app = await startTestAduan({ redisUrl: redis.url, env: { ADMIN_TOKEN: ADMIN } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await cleanup(app?.dataDir);
    await redis?.stop();
  });

  it('refuses a wrong password', async () => {
    const context = await browser.newContext({
      httpCredentials: { username: 'operator', password: `${ADMIN}x` },
    });
    const page = await context.newPage();
    const response = await page.goto(`${app.url}/admin/queues`);
    expect(response?.status()).toBe(401);
    expect(await page.content()).not.toContain('Aduan queues');
    await context.close();
  });

  it('opens with the token as the Basic password, lists the queues and shows their jobs', async () => {
    await app.service.createFromJob(ticketJobFixture('dashboard1'));
    await expect.poll(() => app.queues.notifications.getCompletedCount(), { timeout: WAIT_MS }).toBe(1);

    const context = await browser.newContext({ httpCredentials: { username: 'operator', password: ADMIN } });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(app.url ?? '')) elsewhere.push(r.url());
    });
    await page.goto(`${app.url}/admin/queues`);
    for (const queue of ['tickets', 'notifications', 'housekeeping', 'webhooks'])
      await page.getByRole('link', { name: queue, exact: true }).first().waitFor({ timeout: WAIT_MS });

    await page.getByRole('link', { name: 'notifications', exact: true }).first().click();
    await page.getByText('COMPLETED', { exact: false }).first().click();
    await page.getByText('notify-', { exact: false }).first().waitFor({ timeout: WAIT_MS });

    // The page links a Google Fonts stylesheet; the dashboard's CSP refuses it (and nothing else).
    const unexpected = errors.filter((e) => !e.includes('fonts.googleapis.com'));
    expect(unexpected).toEqual([]);
    expect(elsewhere.every((u) => u.startsWith('https://fonts.googleapis.com/'))).toBe(true);
    await context.close();
  });
});

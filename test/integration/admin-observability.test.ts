import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { PermanentDeliveryError } from '../../src/channels/channel.ts';
import type { Outbound } from '../../src/engine/types.ts';
import { JOB_STATES } from '../../src/observability/metrics.ts';
import { STATUSES } from '../../src/tickets/lifecycle.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';
import { WebChatClient } from '../support/web-client.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const METRICS = 'metrics-token-0123456789abcdef';

/** A chat platform that refuses every message for good, like a bot the reporter blocked. */
class BlockedChannel {
  calls = 0;
  constructor(readonly name: string) {}
  async send(_chatId: string, _messages: readonly Outbound[]): Promise<void> {
    this.calls++;
    throw new PermanentDeliveryError(this.name, 'bot was blocked by the user');
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (token: string) => ({
  authorization: `Basic ${Buffer.from(`operator:${token}`).toString('base64')}`,
});

/** The value of one series in Prometheus's text format, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics and the queue dashboard', () => {
  const env = useTestApp({ env: { ADMIN_TOKEN: ADMIN, METRICS_TOKEN: METRICS } });
  let app: TestAduan;
  const blocked = new BlockedChannel('blocked');
  beforeAll(() => {
    app = env.app;
    app.channels.register(blocked);
  });
  const scrape = async (token = METRICS) => {
    const res = await fetch(`${app.url}/metrics`, { headers: bearer(token) });
    expect(res.status).toBe(200);
    return res.text();
  };

  it('refuses /metrics without a token or with a wrong one; accepts METRICS_TOKEN and ADMIN_TOKEN', async () => {
    const none = await fetch(`${app.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await none.text()).not.toContain('aduan_');
    expect((await fetch(`${app.url}/metrics`, { headers: bearer(`${METRICS}x`) })).status).toBe(401);
    expect((await fetch(`${app.url}/metrics`, { headers: basic('not-the-token-at-all') })).status).toBe(401);

    const ok = await fetch(`${app.url}/metrics`, { headers: bearer(METRICS) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await ok.text();
    // prom-client's default process metrics are there too.
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect((await fetch(`${app.url}/metrics`, { headers: bearer(ADMIN) })).status).toBe(200);
    expect((await fetch(`${app.url}/metrics`, { headers: basic(METRICS) })).status).toBe(200);
  });

  it('counts tickets by status as the status indexes hold them', async () => {
    const before = await scrape();
    for (const status of STATUSES) expect(sample(before, `aduan_tickets{status="${status}"}`)).toBe(0);

    const created = [];
    for (const id of ['metric001', 'metric002', 'metric003'])
      created.push((await app.service.createFromJob(ticketJobFixture(id))).ticket);
    const first = created[0];
    if (!first) throw new Error('no ticket');
    await app.service.changeStatus(first.trackingId, 'verified', undefined, { kind: 'coordinator' });

    const after = await scrape();
    expect(sample(after, 'aduan_tickets{status="received"}')).toBe(2);
    expect(sample(after, 'aduan_tickets{status="verified"}')).toBe(1);
    expect(sample(after, 'aduan_tickets{status="closed"}')).toBe(0);
    // The same figures as the indexes themselves.
    for (const status of STATUSES)
      expect(sample(after, `aduan_tickets{status="${status}"}`)).toBe(
        await app.redis.zcard(app.keys.ticketsByStatus(status)),
      );
  });

  it('observes the latency of a web chat turn, by outcome', async () => {
    const count = (text: string, outcome: string) =>
      sample(text, `aduan_turn_duration_seconds_count{outcome="${outcome}"}`);
    const before = await scrape();
    const handled = count(before, 'handled') ?? Number.NaN;
    const duplicates = count(before, 'duplicate') ?? Number.NaN;

    const client = new WebChatClient(app.url ?? '');
    await client.connect();
    const messageId = randomUUID();
    expect((await client.post({ kind: 'text', text: 'halo' }, messageId)).status).toBe(202);
    await client.waitFor(() => true);
    // The same message again (a page retry) is a duplicate turn.
    expect((await client.post({ kind: 'text', text: 'halo' }, messageId)).status).toBe(202);
    client.close();

    const after = await scrape();
    expect(count(after, 'handled')).toBe(handled + 1);
    expect(count(after, 'duplicate')).toBe(duplicates + 1);
    expect(sample(after, 'aduan_turn_duration_seconds_bucket{le="+Inf",outcome="handled"}')).toBe(
      handled + 1,
    );
    expect(sample(after, 'aduan_turn_duration_seconds_sum{outcome="handled"}')).toBeGreaterThan(0);
    expect(count(after, 'error')).toBe(0);
  });

  it('reports job counts per queue and state, as BullMQ counts them', async () => {
    // A job parked an hour ahead is a known, stable "delayed" figure.
    const parked = await app.queues.webhooks.add('probe', {} as never, { delay: 3_600_000 });
    try {
      // Wait for the notifications the earlier tickets queued to settle, so the figures stand still.
      await expect
        .poll(async () => {
          const c = await app.queues.notifications.getJobCounts('waiting', 'active', 'delayed');
          return (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0);
        })
        .toBe(0);
      const text = await scrape();
      expect(sample(text, 'aduan_queue_jobs{queue="webhooks",state="delayed"}')).toBe(1);
      expect(
        sample(text, 'aduan_queue_jobs{queue="notifications",state="completed"}'),
      ).toBeGreaterThanOrEqual(3);
      for (const queue of [app.queues.tickets, app.queues.notifications, app.queues.webhooks]) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES)
          expect(
            sample(text, `aduan_queue_jobs{queue="${queue.name}",state="${state}"}`),
            `${queue.name} ${state}`,
          ).toBe(counts[state]);
      }
      expect(sample(text, 'aduan_queue_jobs{queue="housekeeping",state="failed"}')).toBe(0);
    } finally {
      await parked.remove();
    }
  });

  it('counts a notification that failed for good, once', async () => {
    expect(sample(await scrape(), 'aduan_notifications_failed_total')).toBe(0);
    await app.service.createFromJob(ticketJobFixture('blocked01', { channel: 'blocked' }));
    await expect.poll(async () => sample(await scrape(), 'aduan_notifications_failed_total')).toBe(1);
    const text = await scrape();
    expect(sample(text, 'aduan_queue_jobs{queue="notifications",state="failed"}')).toBe(1);
    expect(blocked.calls).toBe(1);
  });

  it('refuses the dashboard without the admin token, and to the metrics token', async () => {
    const none = await fetch(`${app.url}/admin/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await fetch(`${app.url}/admin/queues`, { headers: bearer(`${ADMIN}x`) })).status).toBe(401);
    expect((await fetch(`${app.url}/admin/queues`, { headers: basic(METRICS) })).status).toBe(401);
    const api = await fetch(`${app.url}/admin/queues/api/queues`, { headers: bearer(METRICS) });
    expect(api.status).toBe(401);
    expect(await api.text()).not.toContain('Antrean');
  });

  it('serves the dashboard with the admin token (Bearer, or Basic for a browser) and lists the queues', async () => {
    for (const headers of [bearer(ADMIN), basic(ADMIN)]) {
      const page = await fetch(`${app.url}/admin/queues`, { headers });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      const html = await page.text();
      expect(html).toContain('<base href="/admin/queues/"');
      expect(html).toContain('<title>Aduan queues</title>');
      // Its script is served under the same path, behind the same token.
      const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const js = await fetch(`${app.url}/admin/queues/${script}`, { headers });
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect((await fetch(`${app.url}/admin/queues/${script}`)).status).toBe(401);
    }

    const res = await fetch(`${app.url}/admin/queues/api/queues`, { headers: bearer(ADMIN) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: { name: string }[] };
    const names = body.queues.map((q) => q.name);
    expect(names).toEqual(expect.arrayContaining(['tickets', 'notifications', 'housekeeping', 'webhooks']));

    // What makes it sensitive: job payloads carry the citizen's report text.
    const failed = await fetch(`${app.url}/admin/queues/api/queues?activeQueue=notifications&status=failed`, {
      headers: bearer(ADMIN),
    });
    expect(await failed.text()).toContain('Antrean puskesmas sangat panjang');
  });

  it('lets the dashboard retry failed jobs but not delete or empty anything', async () => {
    const asAdmin = (path: string, method: string) =>
      fetch(`${app.url}/admin/queues/api/queues/${path}`, { method, headers: bearer(ADMIN) });
    expect((await asAdmin('tickets/empty', 'PUT')).status).toBe(403);
    expect((await asAdmin('notifications/obliterate', 'PUT')).status).toBe(403);
    expect((await asAdmin('notifications/clean/failed', 'PUT')).status).toBe(403);
    expect((await asAdmin('tickets/add', 'POST')).status).toBe(403);
    expect(await app.queues.notifications.getJobCountByTypes('failed')).toBe(1);

    expect((await asAdmin('notifications/retry/failed', 'PUT')).status).toBe(200);
    // Tried again (and refused again by the blocked chat, so failed again, and counted again).
    await expect.poll(() => blocked.calls).toBe(2);
    await expect.poll(async () => sample(await scrape(), 'aduan_notifications_failed_total')).toBe(2);
  });
});

describe('without ADMIN_TOKEN or METRICS_TOKEN', () => {
  const env = useTestApp();
  it('has neither a dashboard nor metrics', async () => {
    const any = bearer('anything-at-all-here-0123');
    expect((await fetch(`${env.app.url}/admin/queues`, { headers: any })).status).toBe(404);
    expect((await fetch(`${env.app.url}/admin/queues/api/queues`, { headers: any })).status).toBe(404);
    expect((await fetch(`${env.app.url}/metrics`, { headers: any })).status).toBe(404);
    expect((await fetch(`${env.app.url}/metrics`)).status).toBe(404);
  });
});

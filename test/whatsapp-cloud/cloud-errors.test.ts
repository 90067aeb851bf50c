import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WHATSAPP_CLOUD_WEBHOOK_PATH } from '../../src/channels/whatsapp-cloud/cloud-channel.ts';
import { cleanup, type TestAduan } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';
import {
  type GraphEmulator,
  MetaWebhook,
  startGraphEmulator,
  visibleText,
} from '../support/graph-emulator.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { APP_SECRET, startCloudAduan, TestClock } from '../support/whatsapp-cloud-aduan.ts';

/**
 * How Graph API errors on a notification end: retried, answered with the template, or recorded on
 * the ticket as a permanent failure. Each case has its own reporter and ticket.
 */
describe('WhatsApp Cloud API errors on notifications', () => {
  let redis: TestRedis;
  let graph: GraphEmulator;
  let app: TestAduan;
  let meta: MetaWebhook;

  beforeAll(async () => {
    redis = await startTestRedis();
    graph = await startGraphEmulator();
    app = await startCloudAduan({ redisUrl: redis.url, graph, clock: new TestClock() });
    meta = new MetaWebhook(`${app.url}${WHATSAPP_CLOUD_WEBHOOK_PATH}`, APP_SECRET, graph.phoneNumberId);
  });
  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await cleanup(app?.dataDir);
    await redis?.stop();
  });

  /** The reporter wrote lately (the window is open), then their report became a ticket. */
  async function ticketFor(chatId: string, options: { wrote: boolean; beforeTicket?: () => void }) {
    if (options.wrote)
      expect(
        (await meta.post(meta.message(chatId, { type: 'text', text: { body: 'halo' } }).body)).status,
      ).toBe(200);
    // Scripted only now, so the bot's answer to "halo" goes through.
    options.beforeTicket?.();
    const { ticket } = await app.service.createFromJob(
      ticketJobFixture(chatId, { channel: 'whatsapp', chatId }),
    );
    return ticket.trackingId;
  }
  const confirmations = (to: string, trackingId: string) =>
    graph.sentTo(to).filter((m) => visibleText(m).includes(trackingId) || m.type === 'template');

  it('retries through rate limits until the message goes', async () => {
    const to = '6281300000001';
    // Three refusals: more than the adapter waits out itself, so the queue's retry sends it.
    const trackingId = await ticketFor(to, {
      wrote: true,
      beforeTicket: () => graph.failNext({ code: 130429, title: 'Rate limit hit' }, { to, times: 3 }),
    });
    await expect.poll(() => confirmations(to, trackingId).length, { timeout: 20_000 }).toBe(1);
    expect(confirmations(to, trackingId)[0]?.type).toBe('text');
    expect((await app.tickets.get(trackingId))?.ticket.reporterUnreachable).toBe(false);
  });

  it('sends the template when WhatsApp says re-engagement is needed (131047)', async () => {
    const to = '6281300000002';
    const trackingId = await ticketFor(to, {
      wrote: true,
      beforeTicket: () => graph.failNext({ code: 131047, title: 'Re-engagement message' }, { to }),
    });
    await expect.poll(() => confirmations(to, trackingId).length, { timeout: 20_000 }).toBe(1);
    const sent = confirmations(to, trackingId)[0];
    expect(sent?.type).toBe('template');
    expect(sent?.body.template).toMatchObject({
      name: 'aduan_status_laporan',
      components: [{ parameters: [{ text: trackingId }, { text: 'Diterima (belum terverifikasi)' }] }],
    });
  });

  it('records a template WhatsApp refuses (132001) as a failed delivery, and the reporter stays reachable', async () => {
    const to = '6281300000003';
    // Never wrote on this number: the window is closed, so only the template may go.
    const trackingId = await ticketFor(to, {
      wrote: false,
      beforeTicket: () =>
        graph.failNext({ code: 132001, title: 'Template name does not exist in the translation' }, { to }),
    });
    await expect
      .poll(async () => (await app.tickets.events(trackingId)).map((e) => e.type), { timeout: 20_000 })
      .toContain('delivery_failed');
    const failed = (await app.tickets.events(trackingId)).find((e) => e.type === 'delivery_failed');
    expect(failed?.note).toMatch(/132001/);
    expect((await app.tickets.get(trackingId))?.ticket.reporterUnreachable).toBe(false);
    expect(graph.sentTo(to)).toEqual([]);
  });

  it('records a number not on WhatsApp (131026) as unreachable', async () => {
    const to = '6281300000004';
    const trackingId = await ticketFor(to, {
      wrote: true,
      beforeTicket: () => graph.failNext({ code: 131026, title: 'Message undeliverable' }, { to }),
    });
    await expect
      .poll(async () => (await app.tickets.get(trackingId))?.ticket.reporterUnreachable, { timeout: 20_000 })
      .toBe(true);
    const failed = (await app.tickets.events(trackingId)).find((e) => e.type === 'delivery_failed');
    expect(failed?.note).toMatch(/131026/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WHATSAPP_CLOUD_WEBHOOK_PATH } from '../../src/channels/whatsapp-cloud/cloud-channel.ts';
import { CloudState } from '../../src/channels/whatsapp-cloud/cloud-state.ts';
import { withReporterErased } from '../../src/privacy/forget-chat.ts';
import { cleanup, type TestAduan } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';
import {
  type GraphEmulator,
  MetaWebhook,
  type SentMessage,
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

  /** What a deletion request does to the reporter's tickets (`forgetChat`), without deleting the chat's keys. */
  async function eraseReporter(trackingId: string) {
    await app.tickets.update(trackingId, (ticket) => withReporterErased(ticket, new Date().toISOString()));
  }
  const reEngagement = { code: 131047, title: 'Re-engagement message' };

  describe('a failed status asking for the template (131047) on a notification sent as text', () => {
    /** A ticket confirmed as text inside the window; the notice's message id. */
    async function confirmedAsText(to: string) {
      const trackingId = await ticketFor(to, { wrote: true });
      await expect.poll(() => confirmations(to, trackingId).length, { timeout: 20_000 }).toBe(1);
      const notice = confirmations(to, trackingId)[0] as SentMessage;
      expect(notice.type).toBe('text');
      expect(await app.redis.hget(app.keys.whatsappCloudMessage(notice.id), 'chatId')).toBe(to);
      return { trackingId, notice };
    }

    it('sends the template instead', async () => {
      const to = '6281300000005';
      const { trackingId, notice } = await confirmedAsText(to);
      const before = graph.sentTo(to).length;
      expect((await meta.post(meta.status(notice.id, to, 'failed', reEngagement))).status).toBe(200);
      expect(graph.sentTo(to)).toHaveLength(before + 1);
      const template = graph.sentTo(to)[before] as SentMessage;
      expect(template.type).toBe('template');
      expect(template.body.template).toMatchObject({
        components: [{ parameters: [{ text: trackingId }, { text: 'Diterima (belum terverifikasi)' }] }],
      });
      // Both records are listed under the chat, for a deletion request.
      expect(await new CloudState(app.redis, app.keys).keysOfChat(to)).toEqual(
        expect.arrayContaining([
          app.keys.whatsappCloudMessage(notice.id),
          app.keys.whatsappCloudMessage(template.id),
        ]),
      );
    });

    it('sends nothing once the reporter had their data deleted, and deletes the record that holds the number', async () => {
      const to = '6281300000006';
      const { trackingId, notice } = await confirmedAsText(to);
      await eraseReporter(trackingId);
      const before = graph.sentTo(to).length;
      expect((await meta.post(meta.status(notice.id, to, 'failed', reEngagement))).status).toBe(200);
      expect(graph.sentTo(to)).toHaveLength(before);
      expect(await app.redis.exists(app.keys.whatsappCloudMessage(notice.id))).toBe(0);
      expect(await app.redis.zrange(app.keys.whatsappCloudChatMessages(to), '0', '-1')).toEqual([]);
      // Not a delivery failure either: nothing was tried.
      expect((await app.tickets.events(trackingId)).map((e) => e.type)).not.toContain('delivery_failed');
    });
  });

  it('drops a held notice whose reporter had their data deleted when the number writes again', async () => {
    const to = '6281300000007';
    // Never wrote: the confirmation goes as the template, its full text is held.
    const trackingId = await ticketFor(to, { wrote: false });
    await expect.poll(() => graph.sentTo(to).length, { timeout: 20_000 }).toBe(1);
    expect(graph.sentTo(to)[0]?.type).toBe('template');
    expect(await app.redis.llen(app.keys.whatsappCloudHeld(to))).toBe(1);
    await eraseReporter(trackingId);
    const before = graph.sentTo(to).length;
    expect((await meta.post(meta.message(to, { type: 'text', text: { body: 'halo' } }).body)).status).toBe(
      200,
    );
    const after = graph.sentTo(to).slice(before);
    // The answer to "halo" only, nothing about the ticket.
    expect(after.length).toBeGreaterThan(0);
    expect(after.map(visibleText).join('\n')).not.toContain(trackingId);
    expect(await app.redis.exists(app.keys.whatsappCloudHeld(to))).toBe(0);
  });

  it('delivers a held notice of a reporter not erased when the number writes again, before the answer', async () => {
    const to = '6281300000008';
    const trackingId = await ticketFor(to, { wrote: false });
    await expect.poll(() => graph.sentTo(to).length, { timeout: 20_000 }).toBe(1);
    expect((await meta.post(meta.message(to, { type: 'text', text: { body: 'halo' } }).body)).status).toBe(
      200,
    );
    expect(visibleText(graph.sentTo(to)[1] as SentMessage)).toContain(trackingId);
  });
});

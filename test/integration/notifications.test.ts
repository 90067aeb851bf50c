import { beforeAll, describe, expect, it } from 'vitest';
import { PermanentDeliveryError } from '../../src/channels/channel.ts';
import type { Outbound } from '../../src/engine/types.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';

/** A chat platform under the test's control: it fails as told, and records what got through. */
class ScriptedChannel {
  readonly delivered: { chatId: string; messages: readonly Outbound[] }[] = [];
  failures: Error[] = [];
  calls = 0;
  constructor(readonly name: string) {}
  async send(chatId: string, messages: readonly Outbound[]): Promise<void> {
    this.calls++;
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.delivered.push({ chatId, messages });
  }
}

/** An English-speaking reporter on `channel`: their notices must come in English. */
const job = (id: string, channel: string) =>
  ticketJobFixture(id, {
    channel,
    lang: 'en',
    answers: {
      category: { kind: 'choice', value: 'air_bersih' },
      region: { kind: 'choice', value: 'gunungkidul' },
    },
  });

describe('notifications to the reporter', () => {
  const env = useTestApp();
  let app: TestAduan;
  const flaky = new ScriptedChannel('flaky');
  const gone = new ScriptedChannel('gone');
  beforeAll(() => {
    app = env.app;
    app.channels.register(flaky).register(gone);
  });

  it('retries a channel that is down and delivers once it is back, in the reporter’s language', async () => {
    flaky.failures = [new Error('ECONNRESET'), new Error('HTTP 502')];
    const { ticket } = await app.service.createFromJob(job('flaky0001', 'flaky'));
    await expect.poll(() => flaky.delivered.length, { timeout: 30_000, interval: 100 }).toBe(1);
    expect(flaky.calls).toBe(3);
    expect(flaky.delivered[0]?.chatId).toBe('chat-flaky0001');
    expect(flaky.delivered[0]?.messages[0]?.text).toContain(
      `Your report has been recorded with tracking number:\n*${ticket.trackingId}*`,
    );
    expect((await app.tickets.get(ticket.trackingId))?.ticket.reporterUnreachable).toBe(false);
  });

  it('records a chat that is gone for good on the ticket, once, and stops retrying', async () => {
    gone.failures = [new PermanentDeliveryError('gone', 'bot was blocked by the user')];
    const { ticket } = await app.service.createFromJob(job('gone00001', 'gone'));
    await expect
      .poll(async () => (await app.tickets.get(ticket.trackingId))?.ticket.reporterUnreachable, {
        timeout: 20_000,
      })
      .toBe(true);
    const failed = await app.queues.notifications.getFailed();
    const mine = failed.filter((j) => j.data.trackingId === ticket.trackingId);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.attemptsMade).toBe(1);
    expect(mine[0]?.failedReason).toContain('bot was blocked by the user');

    // A later status change is not queued for an unreachable reporter, and the failure is recorded once.
    await app.service.changeStatus(ticket.trackingId, 'verified', undefined, { kind: 'coordinator' });
    const events = await app.tickets.events(ticket.trackingId);
    expect(events.map((e) => e.type)).toEqual(['created', 'delivery_failed', 'status_changed']);
    expect(gone.calls).toBe(1);
  });
});

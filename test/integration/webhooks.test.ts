import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { notificationJobId } from '../../src/queue/queues.ts';
import { SIGNATURE_REFUSED } from '../../src/webhooks/inbound-hook.ts';
import { webhookJobId } from '../../src/webhooks/webhook-job.ts';
import { WebhookSettings } from '../../src/webhooks/webhook-settings.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/** Signs like an agency's system would, with nothing from src/: `t=<unix>,v1=<hex HMAC of "t.body">`. */
function sign(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

describe('agency webhooks, out and in', () => {
  const env = useTestApp({ env: { WEBHOOK_RETRY_DELAY_SECONDS: '1' } });
  let app: TestAduan;
  let receiver: WebhookReceiver;
  let settings: WebhookSettings;
  /** sleman-dinkes's secret: it verifies outgoing events and signs the agency's status changes. */
  let secret: string;

  beforeAll(async () => {
    app = env.app;
    receiver = await startWebhookReceiver();
    settings = new WebhookSettings(app.redis, app.keys);
    secret = (await settings.set('sleman-dinkes', `${receiver.url}/sleman-dinkes`)).secret;
    receiver.secrets.set('/sleman-dinkes', secret);
    const gone = await settings.set('sleman-pdam', `${receiver.url}/sleman-pdam`);
    receiver.secrets.set('/sleman-pdam', gone.secret);
  });
  afterAll(async () => {
    await receiver?.stop();
  });

  const make = (id: string, category = 'kesehatan', region = 'sleman', anonymous = 'no') =>
    app.service.createFromJob(
      ticketJobFixture(id, {
        answers: {
          category: { kind: 'choice', value: category },
          region: { kind: 'choice', value: region },
          anonymous: { kind: 'choice', value: anonymous },
        },
      }),
    );
  const deliveriesOf = (eventId: string) => receiver.deliveries.filter((d) => d.eventId === eventId);

  it('signs an event, retries it after a 500, and the receiver verifies it', async () => {
    receiver.script.set('/sleman-dinkes', [500]);
    const { ticket } = await make('wh-created-1', 'kesehatan', 'sleman', 'yes');
    const eventId = `${ticket.trackingId}.1`;
    await expect.poll(() => deliveriesOf(eventId).length, { timeout: 20_000, interval: 50 }).toBe(2);

    const [first, second] = deliveriesOf(eventId);
    expect(first).toMatchObject({ verified: true, answered: 500, attempt: '1', event: 'ticket.created' });
    expect(second).toMatchObject({ verified: true, answered: 200, attempt: '2', event: 'ticket.created' });
    // Every attempt carries the same event: the receiver de-duplicates on its id.
    expect(second?.body).toEqual(first?.body);
    expect(second?.body).toMatchObject({
      id: eventId,
      type: 'ticket.created',
      agencyId: 'sleman-dinkes',
      event: { seq: 1, type: 'created', to: 'received' },
      ticket: { trackingId: ticket.trackingId, status: 'received', anonymous: true, reporter: null },
    });
    // An anonymous report: nothing of the reporter's chat leaves, not even in the history.
    expect(JSON.stringify(second?.body)).not.toContain('chat-wh-created-1');
    expect(JSON.stringify(second?.body)).not.toContain('submissionId');

    const job = await app.queues.webhooks.getJob(webhookJobId(ticket.trackingId, 1, 'sleman-dinkes'));
    await expect.poll(() => job?.getState(), { timeout: 10_000 }).toBe('completed');
  });

  it('sends each later event once, and nothing for an agency without a webhook', async () => {
    const { ticket } = await make('wh-status-1');
    await app.service.changeStatus(ticket.trackingId, 'verified', 'Lengkap.', { kind: 'coordinator' });
    // The same change again (a retried request) records nothing and sends nothing.
    await app.service.changeStatus(ticket.trackingId, 'verified', 'Lengkap.', { kind: 'coordinator' });
    await app.service.reply(ticket.trackingId, 'Kami tindak lanjuti.', {
      kind: 'agency',
      id: 'sleman-dinkes',
    });
    await expect
      .poll(() => deliveriesOf(`${ticket.trackingId}.3`).length, { timeout: 20_000, interval: 50 })
      .toBe(1);
    const status = deliveriesOf(`${ticket.trackingId}.2`);
    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({ verified: true, event: 'ticket.status_changed' });
    expect(status[0]?.body).toMatchObject({
      event: { type: 'status_changed', from: 'received', to: 'verified', note: 'Lengkap.' },
      ticket: { status: 'verified', reporter: { channel: 'web' } },
    });
    expect(deliveriesOf(`${ticket.trackingId}.3`)[0]?.event).toBe('ticket.reply');
    expect(deliveriesOf(`${ticket.trackingId}.4`)).toHaveLength(0);

    const bantul = await make('wh-bantul-1', 'kesehatan', 'bantul');
    expect(bantul.ticket.agencyId).toBe('bantul-dinkes');
    expect(await app.queues.webhooks.getJob(webhookJobId(bantul.ticket.trackingId, 1, 'bantul-dinkes'))).toBe(
      undefined,
    );
  });

  it('does not retry a receiver that answers 410 Gone, and keeps the failed job', async () => {
    receiver.script.set('/sleman-pdam', [410]);
    const { ticket } = await make('wh-gone-1', 'air_bersih');
    expect(ticket.agencyId).toBe('sleman-pdam');
    const job = await app.queues.webhooks.getJob(webhookJobId(ticket.trackingId, 1, 'sleman-pdam'));
    await expect.poll(() => job?.getState(), { timeout: 10_000 }).toBe('failed');
    const failed = await app.queues.webhooks.getJob(webhookJobId(ticket.trackingId, 1, 'sleman-pdam'));
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toContain('410');
    expect(deliveriesOf(`${ticket.trackingId}.1`)).toHaveLength(1);
  });

  describe('inbound: POST /hooks/agencies/{agency}/status', () => {
    const post = async (agency: string, body: string, signature?: string) => {
      const res = await fetch(`${app.url}/hooks/agencies/${agency}/status`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature ? { 'x-aduan-signature': signature } : {}),
        },
        body,
      });
      return {
        status: res.status,
        json: (await res.json()) as { error?: { code: string; field?: string }; ticket?: { status: string } },
      };
    };

    it('a signed status change moves the ticket; the same request again is refused as a replay', async () => {
      const { ticket } = await make('wh-in-1');
      const body = JSON.stringify({
        trackingId: ticket.trackingId,
        status: 'verified',
        note: 'Dari SIMPEL.',
      });
      const signature = sign(secret, body);
      const first = await post('sleman-dinkes', body, signature);
      expect(first.status).toBe(200);
      expect(first.json.ticket?.status).toBe('verified');
      const events = await app.tickets.events(ticket.trackingId);
      expect(events.at(-1)).toMatchObject({
        type: 'status_changed',
        to: 'verified',
        note: 'Dari SIMPEL.',
        actor: { kind: 'agency', id: 'sleman-dinkes' },
      });

      const replay = await post('sleman-dinkes', body, signature);
      expect(replay.status).toBe(401);
      expect(replay.json.error).toEqual({ ...SIGNATURE_REFUSED, field: 'x-aduan-signature' });
      expect(app.logs.lines.some((l) => l.includes('"problem":"signature_replayed"'))).toBe(true);
      // Lower-case or spaced tracking numbers work as everywhere else.
      const again = JSON.stringify({ trackingId: ticket.trackingId.toLowerCase(), status: 'dispatched' });
      expect((await post('sleman-dinkes', again, sign(secret, again))).status).toBe(200);
      expect((await app.tickets.get(ticket.trackingId))?.ticket.status).toBe('dispatched');
    });

    it('refuses forged, stale, future, missing and malformed signatures with one answer, changing nothing', async () => {
      const { ticket } = await make('wh-in-forged');
      const body = JSON.stringify({ trackingId: ticket.trackingId, status: 'verified' });
      const now = Math.floor(Date.now() / 1000);
      const cases: [string, string | undefined, string][] = [
        ['another secret', sign('whsec_not-the-agencys-secret-at-all-000000', body), 'signature_mismatch'],
        ['another body', sign(secret, body.replace('verified', 'archived')), 'signature_mismatch'],
        ['six minutes old', sign(secret, body, now - 360), 'signature_expired'],
        ['ten minutes ahead', sign(secret, body, now + 600), 'signature_from_future'],
        ['no signature', undefined, 'signature_missing'],
        ['no v1', `t=${now}`, 'signature_malformed'],
        ['not hex', `t=${now},v1=${'z'.repeat(64)}`, 'signature_malformed'],
      ];
      const refused = { status: 401, error: { ...SIGNATURE_REFUSED, field: 'x-aduan-signature' } };
      for (const [name, signature, problem] of cases) {
        const res = await post('sleman-dinkes', body, signature);
        expect({ name, status: res.status, error: res.json.error }).toEqual({ name, ...refused });
        // Why, for the operator: in a debug line, without the signature.
        const line = app.logs.lines.findLast((l) => l.includes('agency webhook refused'));
        expect(line).toContain(`"problem":"${problem}"`);
        if (signature) expect(line).not.toContain(signature);
      }
      // An agency without a webhook (so without a secret) gets the very same answers: nothing tells
      // a stranger which agencies have one.
      for (const [name, signature] of cases) {
        const res = await post('bantul-dinkes', body, signature);
        expect({ name, status: res.status, error: res.json.error }).toEqual({ name, ...refused });
      }
      const other = await post('bantul-dinkes', body, sign(secret, body));
      expect({ status: other.status, error: other.json.error }).toEqual(refused);
      expect((await app.tickets.get(ticket.trackingId))?.ticket.status).toBe('received');
      expect(app.logs.lines.join('\n')).not.toContain(secret);
    });

    it('changes nothing when the ticket was re-routed to another agency between the check and the write (404)', async () => {
      const { ticket } = await make('wh-in-race');
      const id = ticket.trackingId;
      const original = app.service.changeStatus.bind(app.service);
      const racing = vi.spyOn(app.service, 'changeStatus').mockImplementationOnce(async (...args) => {
        await app.service.reroute(id, 'bantul-dinkes', undefined, { kind: 'coordinator' });
        return original(...args);
      });
      const body = JSON.stringify({ trackingId: id, status: 'verified' });
      try {
        const res = await post('sleman-dinkes', body, sign(secret, body));
        expect([res.status, res.json.error?.code]).toEqual([404, 'not_found']);
      } finally {
        racing.mockRestore();
      }
      expect((await app.tickets.events(id)).map((e) => e.type)).toEqual(['created', 'rerouted']);
      expect(await app.queues.notifications.getJob(notificationJobId(id, 3))).toBeUndefined();
    });

    it('another agency’s ticket is a 404, a refused transition a 409, a bad body a 400 naming the field', async () => {
      const bantul = await make('wh-in-bantul', 'kesehatan', 'bantul');
      const mine = await make('wh-in-mine');
      const send = (value: unknown) => {
        const body = typeof value === 'string' ? value : JSON.stringify(value);
        return post('sleman-dinkes', body, sign(secret, body));
      };
      const notMine = await send({ trackingId: bantul.ticket.trackingId, status: 'verified' });
      expect(notMine.status).toBe(404);
      expect(notMine.json.error).toMatchObject({ code: 'not_found', field: 'trackingId' });
      const missing = await send({ trackingId: 'ADU-2222-2222', status: 'verified' });
      expect(missing.status).toBe(404);

      const skip = await send({ trackingId: mine.ticket.trackingId, status: 'resolved' });
      expect(skip.status).toBe(409);
      expect(skip.json.error).toMatchObject({ code: 'transition_not_allowed', field: 'status' });
      const noNote = await send({ trackingId: mine.ticket.trackingId, status: 'archived' });
      expect(noNote.status).toBe(409);
      expect(noNote.json.error).toMatchObject({ code: 'note_required', field: 'note' });

      const badStatus = await send({ trackingId: mine.ticket.trackingId, status: 'done' });
      expect(badStatus.status).toBe(400);
      expect(badStatus.json.error).toMatchObject({ code: 'invalid_request', field: 'status' });
      const noId = await send({ status: 'verified' });
      expect(noId.json.error?.field).toBe('trackingId');
      const notJson = await send('{"trackingId":');
      expect(notJson.status).toBe(400);
      expect(notJson.json.error).toMatchObject({ code: 'malformed_json', field: 'body' });
      expect((await app.tickets.get(mine.ticket.trackingId))?.ticket.status).toBe('received');
      expect((await app.tickets.get(bantul.ticket.trackingId))?.ticket.status).toBe('received');
    });
  });
});

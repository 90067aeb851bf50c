import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/redis/embedded.ts';
import type { Ticket } from '../../src/tickets/ticket.ts';
import { WebhookSettings } from '../../src/webhooks/webhook-settings.ts';
import { cleanup, startTestAduan, type TestAduan } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';

const ADMIN = 'admin-token-access-0123456789';
const TG_SECRET = 'tg-webhook-secret-access-0123';
/** What a refusal must never carry: the report's words and who sent it. */
const TITLE = 'Pungli-di-loket-KTP-Rahasia';
const BODY = 'Petugas-meminta-uang-Rp50000-Isi-Rahasia';
const REPORTER = 'reporter-chat-4455-secret';
const ANON_REPORTER = 'anonymous-reporter-chat-7788';

/**
 * Every way in that should be refused is refused, and the refusal tells nothing: no key, a wrong,
 * malformed or revoked key, another agency's key, a forged or replayed agency webhook, a Telegram
 * webhook without its secret, a wrong admin token. An anonymous report's reporter never leaves
 * through the agency API or Open311, even to its own agency.
 */
describe('access boundaries, and refusals that leak nothing', () => {
  let redis: TestRedis;
  let tg: TelegramEmulator;
  let app: TestAduan;
  let ticket: Ticket;
  let anonymous: Ticket;
  let own: string;
  let other: string;
  let webhookSecret: string;
  beforeAll(async () => {
    redis = await startTestRedis();
    tg = await startTelegramEmulator();
    const port = await findFreePort();
    app = await startTestAduan({
      redisUrl: redis.url,
      env: {
        PORT: String(port),
        ADMIN_TOKEN: ADMIN,
        TELEGRAM_BOT_TOKEN: tg.token,
        TELEGRAM_API_ROOT: tg.apiRoot,
        TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
        TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
      },
    });
    const report = (id: string, chatId: string, anon: 'yes' | 'no') =>
      app.service.createFromJob(
        ticketJobFixture(id, {
          chatId,
          answers: {
            title: { kind: 'text', value: TITLE },
            body: { kind: 'text', value: BODY },
            category: { kind: 'choice', value: 'adminduk' },
            region: { kind: 'choice', value: 'sleman' },
            anonymous: { kind: 'choice', value: anon },
          },
        }),
      );
    ticket = (await report('access-named', REPORTER, 'no')).ticket;
    anonymous = (await report('access-anon1', ANON_REPORTER, 'yes')).ticket;
    own = (await app.apiKeys.create(ticket.agencyId)).key;
    other = (await app.apiKeys.create('bantul-dinkes')).key;
    webhookSecret = (
      await new WebhookSettings(app.redis, app.keys).set(ticket.agencyId, 'http://127.0.0.1:9/none')
    ).secret;
  });
  afterAll(async () => {
    await app?.stop();
    await tg?.close();
    await cleanup(app?.dataDir);
    await redis?.stop();
  });

  /** Asserts a refusal: the status, the error shape, and none of the report's data in the body. */
  async function refused(res: Response, status: number): Promise<string> {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    for (const secret of [TITLE, BODY, REPORTER, ANON_REPORTER, 'Dinas Kependudukan', 'sleman'])
      expect(text).not.toContain(secret);
    return text;
  }
  const api = (path: string, key: string | null, init: RequestInit = {}) =>
    fetch(`${app.url}/api/v1${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    });

  it('refuses no key, a wrong key, a malformed header and a revoked key with 401', async () => {
    const path = `/tickets/${ticket.trackingId}`;
    await refused(await api(path, null), 401);
    await refused(await api(path, `aduan_${'A'.repeat(43)}`), 401);
    await refused(
      await fetch(`${app.url}/api/v1${path}`, { headers: { authorization: `Basic ${own}` } }),
      401,
    );
    await refused(await fetch(`${app.url}/api/v1${path}`, { headers: { authorization: 'Bearer' } }), 401);
    const revoked = await app.apiKeys.create(ticket.agencyId);
    expect((await api(path, revoked.key)).status).toBe(200);
    await app.apiKeys.revoke(revoked.record.id);
    await refused(await api(path, revoked.key), 401);
    await refused(await api('/tickets', revoked.key), 401);
  });

  it('shows another agency nothing: 404 like a ticket that does not exist, on every route', async () => {
    const id = ticket.trackingId;
    const missing = await (await api('/tickets/ADU-2222-2222', other)).text();
    expect(await refused(await api(`/tickets/${id}`, other), 404)).toBe(missing);
    await refused(await api(`/tickets/${id}/attachments/0`, other), 404);
    const writes: [string, unknown][] = [
      ['status', { status: 'verified' }],
      ['replies', { message: 'Kami tindak lanjuti.' }],
      ['notes', { note: 'catatan' }],
      ['route', { agencyId: 'bantul-dinkes', note: 'Bukan wewenang kami.' }],
    ];
    for (const [path, body] of writes)
      await refused(
        await api(`/tickets/${id}/${path}`, other, { method: 'POST', body: JSON.stringify(body) }),
        404,
      );
    const list = await (await api('/tickets', other)).text();
    expect(list).not.toContain(id);
    expect(list).not.toContain(TITLE);
    expect((await app.tickets.events(id)).map((e) => e.type)).toEqual(['created']);
  });

  it('never shows an anonymous report’s reporter, even to its own agency, nor through Open311', async () => {
    const one = await (await api(`/tickets/${anonymous.trackingId}`, own)).text();
    expect(JSON.parse(one).reporter).toBeNull();
    const list = await (await api('/tickets', own)).text();
    expect(list).toContain(anonymous.trackingId);
    // Open311 publishes a report once verified: look at it then, when it does answer.
    await app.service.changeStatus(anonymous.trackingId, 'verified', undefined, { kind: 'coordinator' });
    const open311 = await (await fetch(`${app.url}/open311/v2/requests/${anonymous.trackingId}.json`)).text();
    const open311List = await (await fetch(`${app.url}/open311/v2/requests.json`)).text();
    expect(open311).toContain(anonymous.trackingId);
    expect(open311List).toContain(anonymous.trackingId);
    for (const text of [one, list, open311, open311List]) expect(text).not.toContain(ANON_REPORTER);
    // A named report shows its own agency the channel only: the chat address is kept for replies.
    const named = await (await api(`/tickets/${ticket.trackingId}`, own)).text();
    expect(JSON.parse(named).reporter).toMatchObject({ channel: 'web' });
    expect(named).not.toContain(REPORTER);
  });

  it('refuses a forged and a replayed agency webhook without saying anything about the ticket', async () => {
    const path = `${app.url}/hooks/agencies/${ticket.agencyId}/status`;
    const body = JSON.stringify({ trackingId: ticket.trackingId, status: 'verified' });
    const post = (signature: string) =>
      fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-aduan-signature': signature },
        body,
      });
    const t = Math.floor(Date.now() / 1000);
    const sign = (secret: string) =>
      `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
    await refused(await post(sign('whsec_forged-by-someone-else-0000000000')), 401);
    expect((await post(sign(webhookSecret))).status).toBe(200);
    await refused(await post(sign(webhookSecret)), 401);
    // The genuine one moved the ticket; the replay did not move it again.
    expect(
      (await app.tickets.events(ticket.trackingId)).filter((e) => e.type === 'status_changed'),
    ).toHaveLength(1);
  });

  it('refuses a Telegram webhook without the secret, and a wrong admin token, saying nothing', async () => {
    const update = {
      update_id: 424242,
      message: { message_id: 1, date: 1, chat: { id: 4455, type: 'private' }, text: 'status' },
    };
    const text = await refused(
      await fetch(`${app.url}/telegram/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(update),
      }),
      401,
    );
    expect(text).not.toContain(TG_SECRET);
    expect(await app.redis.exists(app.keys.session('telegram:4455'))).toBe(0);
    const admin = await refused(
      await fetch(`${app.url}/admin/api/keys`, {
        headers: { authorization: 'Bearer admin-token-access-0123456780' },
      }),
      401,
    );
    expect(admin).not.toContain(ADMIN);
    expect(admin).not.toContain(own);
  });
});

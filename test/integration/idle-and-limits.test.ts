import { beforeAll, describe, expect, it } from 'vitest';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';
import { WebChatClient } from '../support/web-client.ts';

const MINUTE = 60_000;

describe('idle drafts: one reminder, then expiry', () => {
  const env = useTestApp({ env: { SESSION_REMINDER_MINUTES: '30', SESSION_EXPIRY_HOURS: '24' } });
  let app: TestAduan;
  beforeAll(() => {
    app = env.app;
  });

  it('reminds once after 30 idle minutes, keeps the draft, and deletes it after 24 hours with a notice', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await citizen.say('lapor');
    await citizen.say('pengaduan');
    await citizen.waitFor(/kategori/i);
    const start = Date.now();

    await app.sweepIdle(new Date(start + 29 * MINUTE));
    await app.sweepIdle(new Date(start + 31 * MINUTE));
    const reminder = await citizen.waitFor(/belum selesai/);
    // The reminder repeats the question the citizen was at, with its buttons.
    const question = citizen.received[citizen.received.indexOf(reminder) + 1];
    expect(question?.text).toMatch(/kategori/i);
    expect(question?.choices?.length).toBeGreaterThan(5);

    await app.sweepIdle(new Date(start + 45 * MINUTE));
    await app.sweepIdle(new Date(start + 23 * 60 * MINUTE));
    expect(citizen.received.filter((m) => /belum selesai/.test(m.text))).toHaveLength(1);
    const chat = `web:${citizen.chatId}`;
    expect((await app.sessions.load(chat, Date.now())).session?.answers.type).toEqual({
      kind: 'choice',
      value: 'pengaduan',
    });

    await app.sweepIdle(new Date(start + 24 * 60 * MINUTE + MINUTE));
    await citizen.waitFor(/sudah kami hapus/);
    const after = (await app.sessions.load(chat, Date.now())).session;
    expect(after?.flowId).toBeNull();
    expect(after?.answers).toEqual({});
    citizen.close();
  });

  it('does not remind a citizen who answered in the meantime, but reminds them later from their last answer', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await citizen.say('lapor');
    await citizen.waitFor(/Apa yang ingin/);
    const start = Date.now();
    // Answer 20 minutes in (the turn's clock is real, so move the session's clock by hand instead).
    const chat = `web:${citizen.chatId}`;
    const loaded = await app.sessions.load(chat, Date.now());
    if (!loaded.session) throw new Error('no session');
    await app.sessions.save(chat, loaded, { ...loaded.session, lastActivityAt: start + 20 * MINUTE });

    await app.sweepIdle(new Date(start + 31 * MINUTE));
    expect(citizen.received.some((m) => /belum selesai/.test(m.text))).toBe(false);
    await app.sweepIdle(new Date(start + 51 * MINUTE));
    await citizen.waitFor(/belum selesai/);
    citizen.close();
  });

  it('never reminds a chat that has no report in progress', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await citizen.post({ kind: 'start' });
    await citizen.waitFor(/Selamat datang/);
    await app.sweepIdle(new Date(Date.now() + 2 * 24 * 60 * MINUTE));
    expect(citizen.received.filter((m) => /belum selesai|sudah kami hapus/.test(m.text))).toHaveLength(0);
    citizen.close();
  });
});

describe('limits and access', () => {
  const env = useTestApp({ env: { CHAT_MESSAGES_PER_MINUTE: '5', WEB_REQUESTS_PER_MINUTE_PER_IP: '30' } });
  let app: TestAduan;
  beforeAll(() => {
    app = env.app;
  });

  it('answers a chat that floods with one polite notice, then drops the rest', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await citizen.say(`pesan ${i}`)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429, 429, 429]);
    await citizen.waitFor(/terlalu banyak pesan/);
    expect(citizen.received.filter((m) => /terlalu banyak pesan/.test(m.text))).toHaveLength(1);
    // The page's transcript (the outbox) records the five accepted messages, not the refused ones.
    const outbox = await app.redis.xrange(app.keys.webOutbox(citizen.chatId), '-', '+');
    const recorded = outbox.flatMap(([, [field, json]]) =>
      field === 'c' ? [(JSON.parse(json ?? '{}') as { text: string }).text] : [],
    );
    expect(recorded).toEqual(['pesan 0', 'pesan 1', 'pesan 2', 'pesan 3', 'pesan 4']);
    citizen.close();
  });

  it('keeps agencies to their own tickets and refuses bad keys and bad transitions clearly', async () => {
    const { ticket } = await app.service.createFromJob(
      ticketJobFixture('access0001', {
        answers: {
          category: { kind: 'choice', value: 'pendidikan' },
          region: { kind: 'choice', value: 'kulon-progo' },
        },
      }),
    );
    const own = (await app.apiKeys.create(ticket.agencyId)).key;
    const other = (await app.apiKeys.create('sleman-dinkes')).key;
    const coordinator = (await app.apiKeys.create(null)).key;
    const get = (key: string | null, id = ticket.trackingId) =>
      fetch(`${app.url}/api/v1/tickets/${id}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    const post = (key: string, body: unknown) =>
      fetch(`${app.url}/api/v1/tickets/${ticket.trackingId}/status`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    expect((await get(null)).status).toBe(401);
    expect((await get(`aduan_${'A'.repeat(43)}`)).status).toBe(401);
    expect((await get(own)).status).toBe(200);
    expect((await get(coordinator)).status).toBe(200);
    // Another agency's ticket looks exactly like one that does not exist.
    const foreign = await get(other);
    const missing = await get(own, 'ADU-2222-2222');
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(await foreign.json()).toEqual(await missing.json());

    const skip = await post(own, { status: 'resolved' });
    expect(skip.status).toBe(409);
    expect(((await skip.json()) as { error: { code: string; field: string } }).error).toMatchObject({
      code: 'transition_not_allowed',
      field: 'status',
    });
    const archive = await post(own, { status: 'archived' });
    expect(((await archive.json()) as { error: { code: string; field: string } }).error).toMatchObject({
      code: 'note_required',
      field: 'note',
    });
    const unknown = await post(own, { status: 'done' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { field: string } }).error.field).toBe('status');
    expect((await post(other, { status: 'verified' })).status).toBe(404);
    expect((await app.tickets.get(ticket.trackingId))?.ticket.status).toBe('received');
  });

  it('limits web chat requests per address, whatever chat ids they claim', async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await new WebChatClient(app.url as string).say('halo');
      statuses.push(res.status);
      if (res.status === 429) limited = await fetch(`${app.url}/chat/messages`, { method: 'POST' });
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.length).toBeLessThanOrEqual(30);
    expect(limited?.status).toBe(429);
    expect(limited?.headers.get('ratelimit-policy')).toMatch(/30/);
  });
});

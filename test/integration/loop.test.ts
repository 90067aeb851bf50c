import { beforeAll, describe, expect, it } from 'vitest';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { completeReport, TRACKING_RE, WebChatClient } from '../support/web-client.ts';

/**
 * The whole loop over real HTTP, a real redis-server and real BullMQ workers:
 * web chat conversation → ticket → status change through the agency API → update on the chat's stream.
 */
describe('the core loop, end to end', () => {
  const env = useTestApp();
  let app: TestAduan;
  beforeAll(() => {
    app = env.app;
  });

  it('takes a report in the web chat, stores one routed ticket, and tells the reporter its tracking number', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await citizen.post({ kind: 'start' });
    await citizen.waitFor(/Selamat datang/);
    const trackingId = await completeReport(citizen, 'Lampu jalan mati di depan Pasar Gentan');

    const stored = await app.tickets.get(trackingId);
    expect(stored?.ticket).toMatchObject({
      trackingId,
      status: 'received',
      type: 'pengaduan',
      category: 'jalan_infrastruktur',
      region: 'sleman',
      title: 'Lampu jalan mati di depan Pasar Gentan',
      anonymous: false,
      confidential: false,
      reporter: { channel: 'web', chatId: citizen.chatId, lang: 'id' },
    });
    // Routed through routing.yaml: roads in Sleman go to Sleman's public works agency.
    expect(stored?.ticket.agencyId).toMatch(/^sleman-/);
    expect(await app.tickets.events(trackingId)).toEqual([
      expect.objectContaining({ seq: 1, type: 'created', to: 'received' }),
    ]);
    citizen.close();
  });

  it('sends a status change made through the agency API to the open chat stream', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const trackingId = await completeReport(citizen);
    const { ticket } = (await app.tickets.get(trackingId)) ?? { ticket: null };
    const { key } = await app.apiKeys.create(ticket?.agencyId ?? null);

    const res = await fetch(`${app.url}/api/v1/tickets/${trackingId}/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        status: 'verified',
        note: 'Laporan lengkap, diteruskan ke bidang penerangan jalan.',
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; history: { type: string }[] };
    expect(body.status).toBe('verified');
    expect(body.history.map((e) => e.type)).toEqual(['created', 'status_changed']);

    const update = await citizen.waitFor(/Terverifikasi/);
    expect(update.text).toContain(trackingId);
    expect(update.text).toContain('diteruskan ke bidang penerangan jalan');

    // The same request again (its answer was lost, the caller retries) is a no-op, not a 409,
    // and the reporter is not told twice.
    const again = await fetch(`${app.url}/api/v1/tickets/${trackingId}/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        status: 'verified',
        note: 'Laporan lengkap, diteruskan ke bidang penerangan jalan.',
      }),
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { history: unknown[] }).history).toHaveLength(2);
    await expect
      .poll(() => app.queues.notifications.getJobCounts('waiting', 'active', 'delayed'), { timeout: 10_000 })
      .toEqual({ waiting: 0, active: 0, delayed: 0 });
    expect(citizen.received.filter((m) => /Terverifikasi/.test(m.text))).toHaveLength(1);
    citizen.close();
  });

  it('replays what a reconnecting page missed, after its Last-Event-ID', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await citizen.post({ kind: 'start' });
    const first = await citizen.waitFor(/Selamat datang/);
    citizen.close();
    await new WebChatClient(app.url as string, citizen.chatId).post({ kind: 'text', text: 'lapor' });

    const again = new WebChatClient(app.url as string, citizen.chatId);
    await again.connect(first.id);
    const missed = await again.waitFor(/Apa yang ingin/);
    expect(again.received.map((m) => m.id)).not.toContain(first.id);
    expect(missed.choices?.map((c) => c.label)).toEqual(['Pengaduan', 'Aspirasi', 'Permintaan informasi']);
    again.close();
  });

  it('replays after a lastEventId in the URL as well: a page opening a new EventSource cannot set the header', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await citizen.post({ kind: 'start' });
    const first = await citizen.waitFor(/Selamat datang/);
    citizen.close();
    await new WebChatClient(app.url as string, citizen.chatId).post({ kind: 'text', text: 'lapor' });

    const controller = new AbortController();
    const res = await fetch(`${app.url}/chat/events?chatId=${citizen.chatId}&lastEventId=${first.id}`, {
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    let text = '';
    const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
    while (reader && !text.includes('Apa yang ingin')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    controller.abort();
    // What came after the greeting (the citizen's "lapor", then the question), not the greeting.
    expect(text).toContain('event: citizen');
    expect(text).toContain('Apa yang ingin');
    expect(text).not.toContain(`id: ${first.id}\n`);
  });

  it('answers the same platform message once, however often it is delivered', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const first = await citizen.post({ kind: 'text', text: 'lapor' }, 'same-message-id-1');
    const second = await citizen.post({ kind: 'text', text: 'lapor' }, 'same-message-id-1');
    expect(first.body).toEqual({ outcome: 'handled' });
    expect(second.body).toEqual({ outcome: 'duplicate' });
    await citizen.waitFor(/Apa yang ingin/);
    await citizen.say('1');
    await citizen.waitFor(/kategori/i);
    expect(citizen.received.filter((m) => /Apa yang ingin/.test(m.text))).toHaveLength(1);
    citizen.close();
  });

  it('refuses malformed web chat posts with a 4xx naming the field, and stores nothing', async () => {
    const post = (body: unknown, type = 'application/json') =>
      fetch(`${app.url}/chat/messages`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const client = new WebChatClient(app.url as string);
    const cases: [unknown, number, string][] = [
      ['{not json', 400, 'body'],
      [{ chatId: 'short', messageId: 'abcdefgh', inbound: { kind: 'text', text: 'x' } }, 400, 'chatId'],
      [
        { chatId: client.chatId, messageId: 'abcdefgh', inbound: { kind: 'text', text: 'x'.repeat(4001) } },
        400,
        'inbound.text',
      ],
      [
        { chatId: client.chatId, messageId: 'abcdefgh', inbound: { kind: 'shout', text: 'x' } },
        400,
        'inbound.kind',
      ],
      [
        { chatId: client.chatId, messageId: 'abcdefgh', inbound: { kind: 'text', text: 'hi', extra: 1 } },
        400,
        'inbound',
      ],
      [
        { chatId: client.chatId, messageId: 'abcdefgh', inbound: { kind: 'text', text: 'x'.repeat(40_000) } },
        413,
        'body',
      ],
    ];
    for (const [body, status, field] of cases) {
      const res = await post(body);
      const json = (await res.json()) as { error: { code: string; field?: string } };
      expect({ status: res.status, field: json.error.field }).toEqual({ status, field });
    }
    expect(await app.redis.exists(app.keys.session(`web:${client.chatId}`))).toBe(0);
  });

  it('lets a citizen check a report by tracking number, forgiving case and dashes', async () => {
    const reporter = new WebChatClient(app.url as string);
    await reporter.connect();
    const trackingId = await completeReport(reporter);
    const before = reporter.received.length;
    await reporter.say('status');
    await reporter.waitFor((m) => reporter.received.indexOf(m) >= before && /nomor pelacakan/i.test(m.text));
    await reporter.say(trackingId.toLowerCase().replaceAll('-', ' '));
    const answer = await reporter.waitFor((m) => m.text.includes(trackingId) && /Status:/.test(m.text));
    expect(answer.text).toMatch(/Diterima/);
    expect(TRACKING_RE.test(answer.text)).toBe(true);
    reporter.close();
  });

  it('still delivers a message published while the page’s subscriber connection was away', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    // Cut the process's pub/sub connection, and write to the outbox the way a turn elsewhere would
    // while it is gone: the stream entry exists, the publish reached nobody.
    expect(await app.redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBeGreaterThanOrEqual(1);
    await app.redis.xadd(
      app.keys.webOutbox(citizen.chatId),
      '*',
      'm',
      JSON.stringify({ text: 'Pesan saat terputus' }),
      'at',
      new Date().toISOString(),
    );
    const arrived = await citizen.waitFor(/Pesan saat terputus/, 20_000);
    expect(arrived.id).toMatch(/^\d+-\d+$/);
    citizen.close();
  });

  it('refuses a sixth event stream for one chat', async () => {
    const chatId = new WebChatClient('').chatId;
    const streams = await Promise.all(
      [1, 2, 3, 4, 5].map(async () => {
        const c = new WebChatClient(app.url as string, chatId);
        await c.connect();
        return c;
      }),
    );
    const sixth = await fetch(`${app.url}/chat/events?chatId=${chatId}`);
    expect(sixth.status).toBe(429);
    expect(((await sixth.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');
    for (const s of streams) s.close();
  });
});

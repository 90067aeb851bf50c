import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';
import { WebChatClient } from '../support/web-client.ts';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('x')]);

/** The error shape every refusal uses; a 5xx or another shape fails the test. */
async function refusal(res: Response): Promise<{ status: number; code: string; text: string }> {
  const text = await res.text();
  const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
  expect(typeof body.error?.code).toBe('string');
  expect(typeof body.error?.message).toBe('string');
  return { status: res.status, code: body.error?.code as string, text };
}

/**
 * Hostile HTTP: random JSON (fast-check), malformed JSON, wrong types, unknown fields, bodies over
 * the limits and path tricks, on the web chat and the agency API. Each is a clear 4xx in the API's
 * error shape, and nothing is stored: no session, no file, no ticket change.
 */
describe('the HTTP layer under hostile requests', () => {
  const env = useTestApp({ env: { WEB_REQUESTS_PER_MINUTE_PER_IP: '100000' } });
  let app: TestAduan;
  /**
   * Keys this app has in Redis other than those the housekeeping job writes on its own schedule
   * (BullMQ's, and the attachment sweep's progress and backfill marks).
   */
  const appKeys = async () =>
    (await app.redis.keys(`${app.keyPrefix}:*`))
      .filter(
        (k) =>
          !k.startsWith(`${app.keys.bull}:`) &&
          k !== app.keys.attachmentsSweep &&
          k !== app.keys.attachmentsKeptBackfill,
      )
      .sort();
  const files = async () => readdir(join(app.dataDir, 'attachments')).catch(() => [] as string[]);
  beforeAll(() => {
    app = env.app;
  });

  const postRaw = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('answers any JSON value posted to the web chat with a 400 and stores nothing', async () => {
    const before = await appKeys();
    const valid = { chatId: 'A'.repeat(43), messageId: 'msg-00000001', inbound: { kind: 'text', text: 'x' } };
    // Random values, and the valid envelope with one random part swapped in (wrong types, extras).
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({ chatId: fc.jsonValue(), messageId: fc.jsonValue(), inbound: fc.jsonValue() }),
      fc
        .tuple(fc.constantFrom('chatId', 'messageId', 'inbound', 'extra', '__proto__'), fc.jsonValue())
        // A string is a perfectly good message id ("00A00000"): swapped in, the envelope is valid.
        .filter(([key, value]) => !(key === 'messageId' && typeof value === 'string'))
        .map(([key, value]) => ({ ...valid, chatId: 'B'.repeat(43), [key]: value })),
      fc
        .jsonValue()
        .map((value) => ({ ...valid, chatId: 'C'.repeat(43), inbound: { kind: 'text', text: 'x', value } })),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const res = await postRaw('/chat/messages', JSON.stringify(value));
        const { status, code } = await refusal(res);
        expect(status).toBe(400);
        expect(['invalid_request', 'malformed_json']).toContain(code);
      }),
      { numRuns: 150 },
    );
    expect(await appKeys()).toEqual(before);
  });

  it('answers malformed JSON, a wrong content type and a body over the limit with a clear 4xx', async () => {
    const before = await appKeys();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 200 }), async (text) => {
        fc.pre(!isJson(text));
        const { status, code } = await refusal(await postRaw('/chat/messages', text));
        expect([status, code]).toEqual([400, 'malformed_json']);
      }),
      { numRuns: 100 },
    );
    const huge = JSON.stringify({
      chatId: 'D'.repeat(43),
      messageId: 'msg-00000002',
      inbound: { kind: 'text', text: 'x'.repeat(40_000) },
    });
    expect(await refusal(await postRaw('/chat/messages', huge))).toMatchObject({
      status: 413,
      code: 'body_too_large',
    });
    const megabyte = await postRaw('/chat/messages', Buffer.alloc(1024 * 1024, 'a'));
    expect((await refusal(megabyte)).status).toBe(413);
    const form = await postRaw('/chat/messages', 'chatId=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect((await refusal(form)).status).toBe(400);
    expect(await appKeys()).toEqual(before);
  });

  it('refuses attachment refs and indexes that try to leave the attachment folder', async () => {
    const citizen = new WebChatClient(app.url as string);
    for (const ref of [
      'file:../../etc/passwd',
      'file:/etc/passwd',
      '../secret.png',
      `file:${'a'.repeat(64)}.png/../../x`,
    ]) {
      const res = await citizen.post({ kind: 'media', media: { ref, mimeType: 'image/png', size: 10 } });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(/inbound\.media\.ref/);
    }
    const { ticket } = await app.service.createFromJob(ticketJobFixture('traversal01'));
    const { key } = await app.apiKeys.create(ticket.agencyId);
    // (A bare or %2e-encoded `..` never reaches the server: URL parsing resolves it first.)
    for (const index of ['..%2F..%2Fetc%2Fpasswd', '-1', '0.5', '1e3', '%00', 'constructor']) {
      const res = await fetch(`${app.url}/api/v1/tickets/${ticket.trackingId}/attachments/${index}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.status, index).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/json/);
      expect(await res.text()).not.toMatch(/root:|passwd/);
    }
  });

  it('stores an upload under its content hash whatever name it claims, and refuses one over 10 MB with 413', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    for (const [text, next] of [
      ['lapor', /Apa yang ingin/],
      ['pengaduan', /kategori/i],
      ['kesehatan', /kabupaten/i],
      ['sleman', /judul/i],
      ['Puskesmas tutup di jam layanan', /jelaskan/i],
      ['Puskesmas tutup padahal papan jam layanan menyebut buka sampai jam dua siang.', /kapan/i],
      ['kemarin', /lokasi/i],
      ['Puskesmas Depok 2, Sleman', /foto|dokumen/i],
    ] as const) {
      const before = citizen.received.length;
      await citizen.say(text);
      await citizen.waitFor((m) => citizen.received.indexOf(m) >= before && next.test(m.text));
    }
    const upload = (body: Buffer, name?: string) =>
      fetch(`${app.url}/chat/uploads?chatId=${citizen.chatId}`, {
        method: 'POST',
        headers: { 'content-type': 'image/png', ...(name ? { 'x-file-name': name } : {}) },
        body,
      });
    const before = await files();
    const big = Buffer.concat([PNG, Buffer.alloc(10 * 1024 * 1024 + 1)]);
    expect(await refusal(await upload(big))).toMatchObject({ status: 413, code: 'body_too_large' });
    expect(await files()).toEqual(before);

    const named = await upload(PNG, encodeURIComponent('../../../etc/passwd\u0000.png'));
    expect(named.status).toBe(201);
    const stored = (await named.json()) as { ref: string; fileName: string };
    expect(stored.ref).toMatch(/^file:[a-f0-9]{64}\.png$/);
    for (const bad of ['/', '\\', '\u0000']) expect(stored.fileName).not.toContain(bad);
    expect((await files()).filter((f) => !before.includes(f))).toEqual([stored.ref.slice(5)]);
    citizen.close();
  });

  it('answers the agency API\u2019s malformed, mistyped, unknown-field and oversized bodies with a 4xx and changes nothing', async () => {
    const { ticket } = await app.service.createFromJob(ticketJobFixture('hostileapi1'));
    const { key } = await app.apiKeys.create(ticket.agencyId);
    const post = (path: string, body: string) =>
      postRaw(`/api/v1/tickets/${ticket.trackingId}/${path}`, body, { authorization: `Bearer ${key}` });
    const cases: [string, string, number][] = [
      ['status', '{"status":', 400],
      ['status', '{"status":42}', 400],
      ['status', '{"status":"verified","root":true}', 400],
      ['status', '["verified"]', 400],
      ['status', JSON.stringify({ status: 'verified', note: 'x'.repeat(20_000) }), 413],
      ['replies', '{"message":{"$gt":""}}', 400],
      ['replies', '{"message":""}', 400],
      ['notes', 'null', 400],
    ];
    for (const [path, body, status] of cases) {
      const res = await refusal(await post(path, body));
      expect(res.status, `${path} ${body.slice(0, 40)}`).toBe(status);
      expect(res.text).not.toContain(ticket.title);
    }
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const res = await post('status', JSON.stringify(value));
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        await res.body?.cancel();
      }),
      { numRuns: 100 },
    );
    const after = await app.tickets.get(ticket.trackingId);
    expect(after?.ticket.status).toBe('received');
    expect((await app.tickets.events(ticket.trackingId)).map((e) => e.type)).toEqual(['created']);
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

import { beforeAll, describe, expect, it } from 'vitest';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { WebChatClient } from '../support/web-client.ts';

/**
 * One web chat post delivered several times at the same moment (a page retrying over a flaky
 * connection while the first try is still in flight): one turn, one answer. The sequential copy,
 * Telegram's redelivered update, WhatsApp's repeated message and a double "Kirim" are in
 * loop.test.ts, telegram-e2e.test.ts, whatsapp-e2e.test.ts and idempotency.test.ts.
 */
describe('the same web chat post, five copies at once', () => {
  const env = useTestApp();
  let app: TestAduan;
  beforeAll(() => {
    app = env.app;
  });

  it('is handled once: one answer, the others reported as duplicates', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const first = citizen.received.length;
    await citizen.say('lapor');
    await citizen.waitFor(/Apa yang ingin/);
    const before = citizen.received.length;
    const copies = await Promise.all(
      Array.from({ length: 5 }, () =>
        citizen.post({ kind: 'text', text: 'pengaduan' }, 'copy-of-one-message'),
      ),
    );
    expect(copies.map((c) => c.status)).toEqual([202, 202, 202, 202, 202]);
    const outcomes = copies.map((c) => (c.body as { outcome: string }).outcome).sort();
    expect(outcomes).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'handled']);
    // A later message shows where the conversation is: one step on, not five.
    await citizen.say('kesehatan');
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= before && /kabupaten\/kota/i.test(m.text));
    expect(citizen.received.slice(first).filter((m) => /kategori/i.test(m.text))).toHaveLength(1);
    // The page's transcript (the chat's outbox) records the message once, as it records each one.
    expect(citizen.citizen.map((m) => [m.messageId, m.text])).toContainEqual([
      'copy-of-one-message',
      'pengaduan',
    ]);
    expect(citizen.citizen.filter((m) => m.messageId === 'copy-of-one-message')).toHaveLength(1);
    const outbox = await app.redis.xrange(app.keys.webOutbox(citizen.chatId), '-', '+');
    expect(outbox.filter(([, fields]) => (fields[1] ?? '').includes('copy-of-one-message'))).toHaveLength(1);
    const { session } = await app.sessions.load(`web:${citizen.chatId}`, Date.now());
    expect(session?.stepId).toBe('region');
    citizen.close();
  });
});

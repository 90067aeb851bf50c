import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/channels/whatsapp/pacer.ts';
import { messageToInbound } from '../../src/channels/whatsapp/whatsapp-inbound.ts';
import { CHOICES_PER_PAGE, renderForWhatsApp } from '../../src/channels/whatsapp/whatsapp-outbound.ts';
import { FakeLocation, FakeMessageMedia, FakeWhatsApp } from '../support/fake-whatsapp.ts';

const world = new FakeWhatsApp();
const FROM = '6281234567890@c.us';
const msg = (m: Parameters<FakeWhatsApp['receive']>[0]) => world.receive(m);

describe('messageToInbound', () => {
  const cases: [string, Parameters<FakeWhatsApp['receive']>[0], unknown][] = [
    ['text', { from: FROM, body: ' 2 ' }, { kind: 'inbound', inbound: { kind: 'text', text: '2' } }],
    [
      'a newer @lid address',
      { from: '123456789012345@lid', body: 'halo' },
      { kind: 'inbound', chatId: '123456789012345@lid' },
    ],
    ['group', { from: '120363012345678901@g.us', body: 'halo' }, { kind: 'ignore', reason: 'group' }],
    ['status', { from: 'status@broadcast', isStatus: true, body: 'x' }, { kind: 'ignore', reason: 'status' }],
    ['own', { from: FROM, fromMe: true, body: 'x' }, { kind: 'ignore', reason: 'own message' }],
    ['channel', { from: '120363@newsletter', body: 'x' }, { kind: 'ignore', reason: 'not a private chat' }],
    ['backlog', { from: FROM, body: 'x', timestamp: 999 }, { kind: 'ignore', reason: 'backlog' }],
    ['empty', { from: FROM, body: '  ' }, { kind: 'ignore', reason: 'empty text' }],
    ['reaction', { from: FROM, type: 'reaction' }, { kind: 'ignore', reason: 'reaction' }],
    [
      'location',
      { from: FROM, type: 'location', location: new FakeLocation(-7.8, 110.36, { name: 'Pasar Bantul' }) },
      {
        kind: 'inbound',
        inbound: { kind: 'location', latitude: -7.8, longitude: 110.36, address: 'Pasar Bantul' },
      },
    ],
    [
      'bad location',
      { from: FROM, type: 'location', location: new FakeLocation(200, 0) },
      { kind: 'unsupported', what: 'location' },
    ],
    [
      'photo',
      { from: FROM, type: 'image', body: 'lubang', media: new FakeMessageMedia('image/jpeg', '') },
      { kind: 'media', what: 'image', caption: 'lubang' },
    ],
    [
      'contact card',
      {
        from: FROM,
        type: 'vcard',
        vCards: [
          'BEGIN:VCARD\nVERSION:3.0\nFN:Budi Santoso\nTEL;type=CELL;waid=6281298765432:+62 812-9876-5432\nEND:VCARD',
        ],
      },
      { kind: 'inbound', inbound: { kind: 'contact', phone: '+6281298765432', name: 'Budi Santoso' } },
    ],
    ['voice note', { from: FROM, type: 'ptt' }, { kind: 'unsupported', what: 'ptt' }],
    ['sticker', { from: FROM, type: 'sticker' }, { kind: 'unsupported', what: 'sticker' }],
  ];
  it.each(cases)('%s', (_name, message, expected) => {
    expect(messageToInbound(msg(message), 1_000_000)).toMatchObject(expected as object);
  });

  it('keys de-duplication on id._serialized', () => {
    const m = msg({ from: FROM, body: 'x', id: 'ABC' });
    expect(messageToInbound(m, 0)).toMatchObject({ messageId: `false_${FROM}_ABC` });
  });
});

describe('renderForWhatsApp', () => {
  const choices = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ payload: `s|v${i + 1}`, label: `Pilihan ${i + 1}` }));

  it('numbers choices and leaves global words (skip) to the prompt text', () => {
    const out = renderForWhatsApp(
      { text: 'Pilih satu.', choices: [...choices(2), { payload: '~g|skip', label: 'Lewati' }] },
      'id',
    );
    expect(out).toEqual([
      'Pilih satu.\n\nBalas dengan angka atau kata pilihan Bapak/Ibu:\n1. Pilihan 1\n2. Pilihan 2',
    ]);
  });

  it('pages a long list with the numbering carried on', () => {
    const out = renderForWhatsApp({ text: 'Kabupaten?', choices: choices(CHOICES_PER_PAGE + 3) }, 'en');
    expect(out).toHaveLength(2);
    expect(out[0]).toContain(`${CHOICES_PER_PAGE}. Pilihan ${CHOICES_PER_PAGE}`);
    expect(out[0]).not.toContain(`${CHOICES_PER_PAGE + 1}.`);
    expect(out[1]).toBe(`(more choices)\n11. Pilihan 11\n12. Pilihan 12\n13. Pilihan 13`);
  });

  it('makes a single choice a word to type, and explains how to share a location', () => {
    expect(
      renderForWhatsApp({ text: 'Kirim foto.', choices: [{ payload: 'a|done', label: 'Selesai' }] }, 'id')[0],
    ).toBe('Kirim foto.\n\nKetik *Selesai* bila sudah.');
    expect(renderForWhatsApp({ text: 'Di mana?', requestLocation: true }, 'id')[0]).toContain(
      'pilih *Lokasi*',
    );
  });
});

describe('Pacer', () => {
  it('spaces messages per chat and overall, with jitter, letting another chat go first', async () => {
    let now = 0;
    const log: string[] = [];
    const pacer = new Pacer({
      perChatMs: 1000,
      overallMs: 100,
      jitterMs: 50,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      random: () => 0.5,
    });
    const send = (chat: string, text: string) =>
      pacer.schedule(chat, async () => log.push(`${now} ${chat} ${text}`));
    await Promise.all([send('a', '1'), send('a', '2'), send('b', '1')]);
    // a1 at 0; b1 after the overall gap (100 + 25 jitter); a2 after its chat gap (1000 + 25).
    expect(log).toEqual(['0 a 1', '125 b 1', '1025 a 2']);
  });

  it('rejects with the send error and carries on', async () => {
    const pacer = new Pacer({ perChatMs: 0, overallMs: 0, jitterMs: 0 });
    await expect(pacer.schedule('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(pacer.schedule('a', async () => 'ok')).resolves.toBeUndefined();
  });
});

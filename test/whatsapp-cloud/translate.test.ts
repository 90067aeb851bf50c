import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { notificationToEvents } from '../../src/channels/whatsapp-cloud/cloud-inbound.ts';
import { renderForCloud, templateMessage } from '../../src/channels/whatsapp-cloud/cloud-outbound.ts';
import {
  handshakeChallenge,
  verifyMetaSignature,
} from '../../src/channels/whatsapp-cloud/cloud-signature.ts';
import { GraphError, graphErrorAction } from '../../src/channels/whatsapp-cloud/graph-errors.ts';
import type { Choice } from '../../src/engine/types.ts';

const PHONE_ID = '106540352242922';
const options = (labels: string[]): Choice[] => labels.map((label, i) => ({ payload: `step|v${i}`, label }));
const kinds = (labels: string[]) =>
  renderForCloud({ text: 'Pilih?', choices: options(labels) }, 'id').map((m) =>
    m.type === 'interactive' ? `interactive:${m.interactive.type}` : m.type,
  );

describe('renderForCloud', () => {
  it.each([
    [['Ya', 'Tidak'], ['interactive:button']],
    [['Pengaduan', 'Aspirasi', 'Permintaan informasi'], ['interactive:button']],
    // A label over 20 characters cannot be a button title: a list row (24) holds it.
    [['Ya', 'Permintaan informasi publik'], ['interactive:list']],
    [['1', '2', '3', '4'], ['interactive:list']],
    [Array.from({ length: 10 }, (_, i) => `Pilihan ${i + 1}`), ['interactive:list']],
    // More than a list holds: the numbered text of the web transport, continued in a second message.
    [Array.from({ length: 12 }, (_, i) => `Pilihan ${i + 1}`), ['text', 'text']],
    [[], ['text']],
  ])('%o → %o', (labels, expected) => {
    expect(kinds(labels)).toEqual(expected);
  });

  it('makes button ids of the payloads and keeps the text as the body', () => {
    expect(
      renderForCloud(
        {
          text: 'Anonim?',
          choices: [
            { payload: 'anonymous|yes', label: 'Ya' },
            { payload: 'anonymous|no', label: 'Tidak' },
          ],
        },
        'id',
      ),
    ).toEqual([
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Anonim?' },
          action: {
            buttons: [
              { type: 'reply', reply: { id: 'anonymous|yes', title: 'Ya' } },
              { type: 'reply', reply: { id: 'anonymous|no', title: 'Tidak' } },
            ],
          },
        },
      },
    ]);
  });

  it('cuts a long row title to 24 characters and keeps the whole label in the description', () => {
    const [list] = renderForCloud(
      { text: 'Kategori?', choices: options(['Transportasi dan Perhubungan', 'A', 'B', 'C']) },
      'en',
    );
    const interactive = (
      list as unknown as { interactive: { action: { button: string; sections: { rows: unknown[] }[] } } }
    ).interactive;
    expect(interactive.action.button).toBe('Choose');
    expect(interactive.action.sections[0]?.rows[0]).toEqual({
      id: 'step|v0',
      title: 'Transportasi dan Perhub…',
      description: 'Transportasi dan Perhubungan',
    });
  });

  it('falls back to numbered text when a payload is too long or repeated to be an id', () => {
    expect(kinds([])).toEqual(['text']);
    const long = [
      { payload: `x|${'a'.repeat(300)}`, label: 'Ya' },
      { payload: 'x|no', label: 'Tidak' },
    ];
    expect(renderForCloud({ text: 'T', choices: long }, 'id').map((m) => m.type)).toEqual(['text']);
    const twice = [
      { payload: 'x|1', label: 'Ya' },
      { payload: 'x|1', label: 'Iya' },
    ];
    expect(renderForCloud({ text: 'T', choices: twice }, 'id').map((m) => m.type)).toEqual(['text']);
  });

  it('puts a body longer than a button message allows in a text first, the buttons on the rest', () => {
    const text = `${'a'.repeat(900)}\n${'b'.repeat(900)}`;
    const out = renderForCloud({ text, choices: options(['Ya', 'Tidak']) }, 'id');
    expect(out.map((m) => m.type)).toEqual(['text', 'interactive']);
    expect(out[0]).toMatchObject({ text: { body: 'a'.repeat(900) } });
  });

  it("asks for a location with WhatsApp's send-location request; a skip word stays in the text", () => {
    const out = renderForCloud(
      {
        text: 'Di mana lokasinya? Ketik *lewati* bila tidak ada.',
        choices: [{ payload: '~g|skip', label: 'Lewati' }],
        requestLocation: true,
      },
      'id',
    );
    expect(out).toEqual([
      {
        type: 'interactive',
        interactive: {
          type: 'location_request_message',
          body: { text: 'Di mana lokasinya? Ketik *lewati* bila tidak ada.' },
          action: { name: 'send_location' },
        },
      },
    ]);
  });

  it('builds a template with one-line parameters', () => {
    expect(
      templateMessage({ name: 'aduan_status_laporan', language: 'id' }, [
        'ADU-7KQ2-M9XF',
        'Selesai\nditindaklanjuti',
      ]),
    ).toEqual({
      type: 'template',
      template: {
        name: 'aduan_status_laporan',
        language: { code: 'id' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'ADU-7KQ2-M9XF' },
              { type: 'text', text: 'Selesai ditindaklanjuti' },
            ],
          },
        ],
      },
    });
  });
});

/** A notification with these messages and statuses, for our number unless said otherwise. */
function notification(value: Record<string, unknown>, phoneNumberId = PHONE_ID) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '6281100000000', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}
const from = '6281234567890';
const message = (content: Record<string, unknown>) =>
  notification({
    contacts: [{ wa_id: from }],
    messages: [{ from, id: 'wamid.A', timestamp: '1767225600', ...content }],
  });
const base = { chatId: from, messageId: 'wamid.A', sentAtMs: 1_767_225_600_000 };

describe('notificationToEvents', () => {
  it.each([
    [
      { type: 'text', text: { body: '  lapor ' } },
      { kind: 'inbound', ...base, inbound: { kind: 'text', text: 'lapor' } },
    ],
    [
      {
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: { id: 'type|pengaduan', title: 'Pengaduan' } },
      },
      { kind: 'inbound', ...base, inbound: { kind: 'choice', payload: 'type|pengaduan' } },
    ],
    [
      {
        type: 'interactive',
        interactive: { type: 'list_reply', list_reply: { id: 'region|sleman', title: 'Kabupaten Sleman' } },
      },
      { kind: 'inbound', ...base, inbound: { kind: 'choice', payload: 'region|sleman' } },
    ],
    [
      { type: 'button', button: { text: 'Lihat rincian', payload: 'Lihat rincian' } },
      { kind: 'inbound', ...base, inbound: { kind: 'text', text: 'Lihat rincian' } },
    ],
    [
      {
        type: 'location',
        location: { latitude: -7.7197, longitude: 110.3602, name: 'Tugu', address: 'Jl. Magelang' },
      },
      {
        kind: 'inbound',
        ...base,
        inbound: { kind: 'location', latitude: -7.7197, longitude: 110.3602, address: 'Jl. Magelang' },
      },
    ],
    [
      { type: 'image', image: { id: '987', mime_type: 'image/jpeg', sha256: 'x', caption: 'lubang' } },
      { kind: 'media', ...base, what: 'image', mediaId: '987', mimeType: 'image/jpeg', caption: 'lubang' },
    ],
    [
      { type: 'document', document: { id: '988', mime_type: 'application/pdf', filename: 'surat.pdf' } },
      {
        kind: 'media',
        ...base,
        what: 'document',
        mediaId: '988',
        mimeType: 'application/pdf',
        fileName: 'surat.pdf',
      },
    ],
    [
      {
        type: 'contacts',
        contacts: [
          { name: { formatted_name: 'Pak RT' }, phones: [{ phone: '+62 812-1', wa_id: '62812100' }] },
        ],
      },
      { kind: 'inbound', ...base, inbound: { kind: 'contact', phone: '+62812100', name: 'Pak RT' } },
    ],
    [
      { type: 'audio', audio: { id: '1', mime_type: 'audio/ogg' } },
      { kind: 'unsupported', ...base, what: 'audio' },
    ],
    [
      { type: 'sticker', sticker: { id: '1' } },
      { kind: 'unsupported', ...base, what: 'sticker' },
    ],
    [
      { type: 'reaction', reaction: { message_id: 'wamid.B', emoji: '👍' } },
      { kind: 'ignore', reason: 'reaction' },
    ],
    [
      { type: 'location', location: { latitude: 200, longitude: 0 } },
      { kind: 'unsupported', ...base, what: 'location' },
    ],
  ])('%o', (content, expected) => {
    expect(notificationToEvents(message(content), PHONE_ID)).toEqual([expected]);
  });

  it('reads statuses with their error', () => {
    const body = notification({
      statuses: [
        { id: 'wamid.S', status: 'delivered', timestamp: '1767225601', recipient_id: from },
        {
          id: 'wamid.T',
          status: 'failed',
          timestamp: '1767225602',
          recipient_id: from,
          errors: [{ code: 131026, title: 'Message undeliverable' }],
        },
        { id: 'wamid.U', status: 'deleted', timestamp: '1767225603' },
      ],
    });
    expect(notificationToEvents(body, PHONE_ID)).toEqual([
      { kind: 'status', messageId: 'wamid.S', status: 'delivered', atMs: 1_767_225_601_000 },
      {
        kind: 'status',
        messageId: 'wamid.T',
        status: 'failed',
        atMs: 1_767_225_602_000,
        error: { code: 131026, title: 'Message undeliverable' },
      },
      { kind: 'ignore', reason: 'unknown status' },
    ]);
  });

  it("ignores another phone number's traffic, and refuses what is not a WhatsApp notification", () => {
    expect(notificationToEvents(notification({ messages: [] }, '999999'), PHONE_ID)).toEqual([
      { kind: 'ignore', reason: 'another phone number' },
    ]);
    expect(notificationToEvents({ object: 'page', entry: [] }, PHONE_ID)).toBeNull();
    expect(notificationToEvents({ hello: 'world' }, PHONE_ID)).toBeNull();
  });
});

describe('webhook checks', () => {
  const secret = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
  const sign = (b: Buffer, key = secret) => `sha256=${createHmac('sha256', key).update(b).digest('hex')}`;

  it.each([
    ['the right signature', sign(body), true],
    ['upper-case hex', sign(body).toUpperCase().replace('SHA256=', 'sha256='), true],
    ['another key', sign(body, 'ffffffffffffffffffffffffffffffff'), false],
    ['another body', sign(Buffer.from('{}')), false],
    ['no prefix', sign(body).slice(7), false],
    ['sha1', `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`, false],
    ['nothing', undefined, false],
  ])('%s → %s', (_, header, expected) => {
    expect(verifyMetaSignature(secret, header, body)).toBe(expected);
  });

  it.each([
    [
      { 'hub.mode': 'subscribe', 'hub.verify_token': 'tok-tok-tok-tok-1', 'hub.challenge': '1158201444' },
      '1158201444',
    ],
    [
      { 'hub.mode': 'subscribe', 'hub.verify_token': 'tok-tok-tok-tok-2', 'hub.challenge': '1158201444' },
      null,
    ],
    [{ 'hub.mode': 'unsubscribe', 'hub.verify_token': 'tok-tok-tok-tok-1', 'hub.challenge': '1' }, null],
    [{ 'hub.mode': 'subscribe', 'hub.verify_token': 'tok-tok-tok-tok-1', 'hub.challenge': '<script>' }, null],
    [{ 'hub.mode': 'subscribe', 'hub.challenge': '1' }, null],
  ])('handshake %o → %s', (query, expected) => {
    expect(handshakeChallenge(query, 'tok-tok-tok-tok-1')).toBe(expected);
  });
});

describe('graphErrorAction', () => {
  it.each([
    [400, 4, 'retry'],
    [400, 80007, 'retry'],
    [400, 130429, 'retry'],
    [400, 131048, 'retry'],
    [400, 131056, 'retry'],
    [400, 131047, 'template'],
    [400, 131026, 'gone'],
    [400, 132000, 'failed'],
    [400, 132001, 'failed'],
    [400, 132015, 'failed'],
    [503, 0, 'retry'],
    [0, 0, 'retry'],
    [400, 100, 'failed'],
  ])('HTTP %i, code %i → %s', (status, code, action) => {
    expect(graphErrorAction(new GraphError(status, code, 't'))).toBe(action);
  });
});

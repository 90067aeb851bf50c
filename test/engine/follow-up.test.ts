import { describe, expect, it } from 'vitest';
import { followUpOf, ratingPayload } from '../../src/engine/follow-up.ts';
import type { Inbound } from '../../src/engine/types.ts';

const text = (t: string): Inbound => ({ kind: 'text', text: t });
// A valid number (its check symbol is right): generateTrackingNumber of bytes 1..8.
const id = 'ADU-2GA8-K99E';

describe('follow-ups on a report already sent', () => {
  it.each<[string, Inbound, string | null, unknown]>([
    [
      'balas with a number and text',
      text(`balas ${id} lampunya masih mati`),
      null,
      { kind: 'addToReport', trackingId: id, text: 'lampunya masih mati', lang: 'id' },
    ],
    [
      'reply, number typed loosely',
      text('reply adu 2ga8 k99e it is still broken'),
      null,
      { kind: 'addToReport', trackingId: id, text: 'it is still broken', lang: 'id' },
    ],
    [
      '/balas command',
      text(`/balas ${id} tambahan`),
      null,
      { kind: 'addToReport', trackingId: id, text: 'tambahan', lang: 'id' },
    ],
    ['balas without a number', text('balas tolong cepat'), null, 'format'],
    ['balas with a mistyped number', text('balas ADU-2GA8-K99F tambahan'), null, 'format'],
    ['balas alone', text('balas'), null, 'format'],
    [
      'a rating button',
      { kind: 'choice', payload: ratingPayload(id, 5) },
      null,
      { kind: 'rate', trackingId: id, rating: 5, lang: 'id' },
    ],
    [
      'a not-solved button',
      { kind: 'choice', payload: ratingPayload(id, 'no') },
      null,
      { kind: 'reopen', trackingId: id, lang: 'id' },
    ],
    ['a forged rating button', { kind: 'choice', payload: `~rate|${id}|9` }, null, null],
    ['a typed 3 after the question', text('3'), id, { kind: 'rate', trackingId: id, rating: 3, lang: 'id' }],
    [
      'a typed "Belum selesai" after the question',
      text('Belum selesai'),
      id,
      { kind: 'reopen', trackingId: id, lang: 'id' },
    ],
    ['a typed 3 with no question asked', text('3'), null, null],
    // WhatsApp numbers the rating list; "Belum selesai" is its sixth entry.
    ['a typed 6 after the question', text('6'), id, { kind: 'reopen', trackingId: id, lang: 'id' }],
    ['a typed 7 after the question', text('7'), id, null],
    ['ordinary text', text('halo'), id, null],
  ])('%s', (_, inbound, pending, expected) => {
    expect(followUpOf(inbound, pending, 'id')).toEqual(expected);
  });
});

describe('a text that merely starts with "balas" during a report', () => {
  it('is an answer to the step, not a malformed command; /balas and a full command still are commands', () => {
    expect(followUpOf(text('Balas surat dari kelurahan tidak pernah datang'), null, 'id', true)).toBeNull();
    expect(followUpOf(text('/balas tolong cepat'), null, 'id', true)).toBe('format');
    expect(followUpOf(text(`balas ${id} tambahan`), null, 'id', true)).toEqual({
      kind: 'addToReport',
      trackingId: id,
      text: 'tambahan',
      lang: 'id',
    });
    // Outside a report the format is explained, as before.
    expect(followUpOf(text('Balas surat dari kelurahan tidak pernah datang'), null, 'id')).toBe('format');
  });
});

import { describe, expect, it } from 'vitest';
import { newSession } from '../../src/engine/engine.ts';
import { t } from '../../src/engine/messages.ts';
import type { Answer, Inbound, Lang } from '../../src/engine/types.ts';
import {
  ADDRESS,
  BODY,
  complaint,
  ctx,
  expectAsks,
  expectMenu,
  file,
  flowOf,
  miniCatalog,
  onlySubmission,
  place,
  press,
  REPLY,
  reportTo,
  run,
  STORED,
  sessionAt,
  storedFor,
  TITLE,
  text,
} from './engine-harness.ts';

// Each step kind as a fixture table: what the citizen sends at the step → what is stored (and that
// the flow moves on), or → the message that explains what is expected (and that the step is asked again).

const evidence = flowOf('evidence', miniCatalog);

/** A session at `stepId` of the report flow with every earlier step of the complaint path answered. */
function at(stepId: string, lang: Lang = 'id') {
  const before = complaint.order.slice(0, complaint.order.indexOf(stepId));
  return sessionAt(stepId, storedFor(...before), { lang });
}

describe('choice step (type)', () => {
  const accepted: [string, Inbound, string][] = [
    ['button payload stepId|value', press('type|aspirasi'), 'aspirasi'],
    ['typed number 1', text('1'), 'pengaduan'],
    ['typed number 3', text('3'), 'permintaan_informasi'],
    ['typed "no 2"', text('no 2'), 'aspirasi'],
    ['label in id', text('Pengaduan'), 'pengaduan'],
    ['label in id, shouting', text('ASPIRASI!'), 'aspirasi'],
    ['label in id, two words', text('permintaan informasi'), 'permintaan_informasi'],
    ['label in en', text('Complaint'), 'pengaduan'],
    ['label in en', text('Suggestion'), 'aspirasi'],
    ['label in en, several words', text('Request for information'), 'permintaan_informasi'],
    ['one word of a label', text('informasi'), 'permintaan_informasi'],
    ['typo: letter missing', text('aspirsi'), 'aspirasi'],
    ['typo: neighbours swapped', text('pengadaun'), 'pengaduan'],
    ['typo in en', text('complant'), 'pengaduan'],
  ];
  it.each(accepted)('%s (%j) → %s, then the category is asked', (_, inbound, value) => {
    const r = run([inbound], { session: at('type') });
    expect(r.session.answers.type).toEqual({ kind: 'choice', value });
    expect(r.session.stepId).toBe('category');
    expect(r.last).toHaveLength(1);
    expectAsks(r.last[0], 'category');
    expect(r.effects).toEqual([]);
  });

  const refused: [string, string, Inbound, string][] = [
    ['nonsense', 'type', text('xyzzy qwerty'), t('id', 'chooseOne')],
    ['a number past the options', 'type', text('4'), t('id', 'chooseOne')],
    ['zero', 'type', text('0'), t('id', 'chooseOne')],
    ['a location at a choice step', 'type', place(-7.7, 110.4), t('id', 'chooseOne')],
    ['ambiguous: a word of four regions', 'region', text('kabupaten'), t('id', 'ambiguous')],
    ['ambiguous: a word of three categories', 'category', text('dan'), t('id', 'ambiguous')],
  ];
  it.each(refused)('%s at %s → explained, asked again', (_, stepId, inbound, reason) => {
    const session = at(stepId);
    const r = run([inbound], { session });
    expect(r.last.map((o) => o.text)[0]).toBe(reason);
    expectAsks(r.last[1], stepId);
    expect(r.last).toHaveLength(2);
    expect(r.session.stepId).toBe(stepId);
    expect(r.session.answers).toEqual(session.answers);
    expect(r.session.wrongCount).toBe(1);
  });

  it('offers one button per option, each carrying stepId|value, labelled in the session language', () => {
    const id = run([text('lapor')]).last[0];
    expect(id?.choices).toEqual([
      { payload: 'type|pengaduan', label: 'Pengaduan' },
      { payload: 'type|aspirasi', label: 'Aspirasi' },
      { payload: 'type|permintaan_informasi', label: 'Permintaan informasi' },
    ]);
    const en = run([text('report')], { session: newSession(ctx.now, 'en') }).last[0];
    expect(en?.text).toBe(complaint.stepsById.get('type')?.prompt.en);
    expect(en?.choices?.map((c) => c.label)).toEqual(['Complaint', 'Suggestion', 'Request for information']);
  });

  it('options from routing become buttons too (category: 12, region: 5)', () => {
    const r = run([press('type|pengaduan')], { session: at('type') });
    expect(r.last[0]?.choices).toHaveLength(12);
    expect(r.last[0]?.choices?.[2]).toEqual({
      payload: 'category|jalan_infrastruktur',
      label: 'Jalan dan Infrastruktur',
    });
    const region = run([text('jalan')], { session: r.session });
    expect(region.session.answers.category).toEqual({ kind: 'choice', value: 'jalan_infrastruktur' });
    expect(region.last[0]?.choices?.map((c) => c.payload)).toEqual([
      'region|kota-yogyakarta',
      'region|sleman',
      'region|bantul',
      'region|kulon-progo',
      'region|gunungkidul',
    ]);
  });

  it('a button with the right step id but an unknown value is stale, not an answer and not a mistake', () => {
    const r = run([press('type|rahasia')], { session: at('type') });
    expect(r.last.map((o) => o.text)[0]).toBe(t('id', 'staleButton'));
    expectAsks(r.last[1], 'type');
    expect(r.session.answers).toEqual({});
    expect(r.session.wrongCount).toBe(0);
  });

  it('a choice with a single option answers itself and is never shown (skip_if_single)', () => {
    const s = sessionAt('note', { photos: { kind: 'media', value: [] } }, {}, evidence);
    const r = run([text('AB12')], { session: s, catalog: miniCatalog });
    expect(r.session.answers.channel).toEqual({ kind: 'choice', value: 'web' });
    expect(r.session.stepId).toBe('confirm');
    expectAsks(r.last[0], 'confirm', 'id', evidence);
  });
});

describe('text step (title: 10–150 characters, body: 30–4000)', () => {
  const accepted: [string, string, string, string][] = [
    ['exactly the minimum', 'title', 'Jalan rusa', 'Jalan rusa'],
    ['trimmed before it is counted and stored', 'title', '   Jalan rusak parah   ', 'Jalan rusak parah'],
    ['exactly the maximum', 'title', 'a'.repeat(150), 'a'.repeat(150)],
    ['ten emoji are ten characters', 'title', '🚧'.repeat(10), '🚧'.repeat(10)],
    ['a body of 30 characters', 'body', 'x'.repeat(30), 'x'.repeat(30)],
  ];
  it.each(accepted)('%s → stored', (_, stepId, input, stored) => {
    const r = run([text(input)], { session: at(stepId) });
    expect(r.session.answers[stepId]).toEqual({ kind: 'text', value: stored });
    expect(r.session.stepId).not.toBe(stepId);
  });

  const refused: [string, string, Lang, string, string][] = [
    ['too short, count in the message', 'title', 'id', 'pendek', t('id', 'tooShort', { min: 10, n: 6 })],
    ['too short in en', 'title', 'en', 'short', t('en', 'tooShort', { min: 10, n: 5 })],
    ['spaces do not count', 'title', 'id', '   abc    ', t('id', 'tooShort', { min: 10, n: 3 })],
    ['too long', 'title', 'id', 'a'.repeat(151), t('id', 'tooLong', { max: 150, n: 151 })],
    ['too long in en', 'title', 'en', 'b'.repeat(200), t('en', 'tooLong', { max: 150, n: 200 })],
    // 9 emoji are 18 UTF-16 units: counted as units they would pass the minimum of 10.
    ['nine emoji are nine characters', 'title', 'id', '🚧'.repeat(9), t('id', 'tooShort', { min: 10, n: 9 })],
    // 👍🏽 is two code points (thumb + skin tone) but one character on screen.
    [
      'emoji with a skin tone is one',
      'title',
      'id',
      '👍🏽'.repeat(9),
      t('id', 'tooShort', { min: 10, n: 9 }),
    ],
    ['body one short of 30', 'body', 'id', 'x'.repeat(29), t('id', 'tooShort', { min: 30, n: 29 })],
  ];
  it.each(refused)('%s → explained, asked again', (_, stepId, lang, input, reason) => {
    const session = at(stepId, lang);
    const r = run([text(input)], { session });
    expect(r.last[0]?.text).toBe(reason);
    expectAsks(r.last[1], stepId, lang);
    expect(r.session.stepId).toBe(stepId);
    expect(r.session.answers).toEqual(session.answers);
  });

  it('the count is in the message itself, in both languages', () => {
    expect(run([text('pendek')], { session: at('title') }).last[0]?.text).toContain(
      'minimal 10 karakter, saat ini 6',
    );
    expect(run([text('a'.repeat(151))], { session: at('title', 'en') }).last[0]?.text).toContain(
      'at most 150 characters, now 151',
    );
  });

  const flags = '🇮🇩';
  it.each([
    [flags.repeat(5), true],
    [flags.repeat(6), false],
    ['👨‍👩‍👧'.repeat(5), true],
  ])('an emoji of several code points is one character at the maximum (%s → %s)', (input, ok) => {
    const s = sessionAt('note', { photos: { kind: 'media', value: [] } }, {}, evidence);
    const r = run([text(input)], { session: s, catalog: miniCatalog });
    if (ok) expect(r.session.answers.note).toEqual({ kind: 'text', value: input });
    else {
      expect(r.session.answers.note).toBeUndefined();
      expect(r.last[0]?.text).toBe(t('id', 'tooLong', { max: 5, n: 6 }));
    }
  });

  it('a file at a text step asks for typed text, says files come later, and is not counted as wrong', () => {
    const r = run([file()], { session: at('title') });
    expect(r.last[0]?.text).toBe(`${t('id', 'textExpected')}\n${t('id', 'mediaLater')}`);
    expectAsks(r.last[1], 'title');
    expect(r.session.wrongCount).toBe(0);
    // An album of three photos does not end in the help-or-cancel menu.
    const album = run([file(), file(), file()], { session: at('title') });
    expect(album.session.overlay).toBeNull();
    expectAsks(album.last[1], 'title');
  });

  it('a photo whose caption describes the problem answers a text question with the caption', () => {
    const photo = { ...file(), caption: BODY };
    const r = run([photo], { session: at('body') });
    expect(r.session.answers.body).toEqual({ kind: 'text', value: BODY });
    expect(r.last[0]?.text).toBe(t('id', 'mediaLater'));
    expectAsks(r.last[1], 'incident_date');
  });
});

describe('date step (incident_date; today is 25 November 2026 in Jakarta)', () => {
  const accepted: [string, Lang, string][] = [
    ['hari ini', 'id', '2026-11-25'],
    ['kemarin', 'id', '2026-11-24'],
    ['2 hari lalu', 'id', '2026-11-23'],
    ['12/11/2026', 'id', '2026-11-12'],
    ['12 Nov 2026', 'id', '2026-11-12'],
    ['12 November 2026', 'id', '2026-11-12'],
    ['17-08-2025', 'id', '2025-08-17'],
    ['today', 'en', '2026-11-25'],
    ['yesterday', 'en', '2026-11-24'],
    ['3 days ago', 'en', '2026-11-22'],
  ];
  it.each(accepted)('%s (%s) → %s, then the location is asked', (input, lang, date) => {
    const r = run([text(input)], { session: at('incident_date', lang) });
    expect(r.session.answers.incident_date).toEqual({ kind: 'date', value: date });
    expect(r.session.stepId).toBe('location');
    expectAsks(r.last[0], 'location', lang);
  });

  const refused: [string, Inbound, Lang, string][] = [
    ['tomorrow', text('besok'), 'id', t('id', 'dateFuture')],
    ['a date after today', text('26/11/2026'), 'id', t('id', 'dateFuture')],
    ['a future date in en', text('tomorrow'), 'en', t('en', 'dateFuture')],
    ['nonsense', text('tidak ingat'), 'id', t('id', 'dateInvalid')],
    ['not a real day', text('31/02/2026'), 'id', t('id', 'dateInvalid')],
    ['nonsense in en', text('no idea'), 'en', t('en', 'dateInvalid')],
    ['more than 3650 days ago', text('12/11/2016'), 'id', t('id', 'dateTooOld', { days: 3650 })],
    ['a photo at a date step', file(), 'id', `${t('id', 'dateInvalid')}\n${t('id', 'mediaLater')}`],
  ];
  it.each(refused)('%s → explained, asked again', (_, inbound, lang, reason) => {
    const session = at('incident_date', lang);
    const r = run([inbound], { session });
    expect(r.last[0]?.text).toBe(reason);
    expectAsks(r.last[1], 'incident_date', lang);
    expect(r.session.stepId).toBe('incident_date');
    expect(r.session.answers).toEqual(session.answers);
  });

  it('the question gives examples, and the summary reads the date back in words', () => {
    const asked = run([REPLY.body as Inbound], { session: at('body') }).last[0];
    expect(asked?.text).toContain(t('id', 'dateExamples'));
    const summary = reportTo('confirm').last[0];
    expect(summary?.text).toContain('*Tanggal kejadian*: 24 November 2026');
  });
});

describe('location step', () => {
  const accepted: [string, Inbound, Answer][] = [
    [
      'shared coordinates',
      place(-7.7456, 110.4123),
      { kind: 'location', value: { latitude: -7.7456, longitude: 110.4123 } },
    ],
    [
      'shared coordinates with the address the phone knows',
      place(-7.7456, 110.4123, 'Jl. Kaliurang'),
      { kind: 'location', value: { latitude: -7.7456, longitude: 110.4123, address: 'Jl. Kaliurang' } },
    ],
    ['a typed address', text(ADDRESS), { kind: 'location', value: { address: ADDRESS } }],
    [
      'a description that starts with "tidak ada"',
      text('Tidak ada nama jalan, dekat masjid Desa Sukamaju'),
      { kind: 'location', value: { address: 'Tidak ada nama jalan, dekat masjid Desa Sukamaju' } },
    ],
    // A place name that starts like a refusal word is still a place.
    [
      '"Gang Tidak Ada Nama, Depok"',
      text('Gang Tidak Ada Nama, Depok'),
      { kind: 'location', value: { address: 'Gang Tidak Ada Nama, Depok' } },
    ],
    [
      'a typed address, trimmed',
      text('  Jl. Malioboro  '),
      { kind: 'location', value: { address: 'Jl. Malioboro' } },
    ],
  ];
  it.each(accepted)('%s → stored, then attachments are asked', (_, inbound, answer) => {
    const r = run([inbound], { session: at('location') });
    expect(r.session.answers.location).toEqual(answer);
    expect(r.session.stepId).toBe('attachments');
    expectAsks(r.last[0], 'attachments');
  });

  const refused: [string, Inbound][] = [
    ['an address too short to find', text('Jl')],
    ['latitude beyond 90', place(95, 110.4)],
    ['longitude beyond 180', place(-7.7, 200)],
    ['not a number', place(Number.NaN, 110.4)],
    ['0,0 (a phone with no fix)', place(0, 0)],
    ['emoji only', text('🙏🙏🙏🙏🙏')],
    ['digits only', text('1234567')],
    ['"tidak ada"', text('tidak ada')],
    ['"ga tau"', text('ga tau')],
    ['"tidak tahu"', text('Tidak tahu.')],
    ['"tidak tahu alamatnya"', text('tidak tahu alamatnya')],
  ];
  it.each(refused)('%s → explained, asked again', (_, inbound) => {
    const session = at('location');
    const r = run([inbound], { session });
    expect(r.last[0]?.text).toBe(t('id', 'locationExpected'));
    expectAsks(r.last[1], 'location');
    expect(r.session.stepId).toBe('location');
    expect(r.session.answers).toEqual(session.answers);
  });

  it('asks for the device location and offers a skip button (the step is optional)', () => {
    const asked = run([text('kemarin')], { session: at('incident_date') }).last[0];
    expect(asked?.requestLocation).toBe(true);
    expect(asked?.choices).toEqual([{ payload: '~g|skip', label: 'Lewati' }]);
    expect(asked?.text).toContain(t('id', 'skipHint'));
  });

  it('the summary shows shared coordinates to five decimals', () => {
    const r = reportTo('location');
    const s = run(
      [
        place(-7.7456123, 110.4123456),
        REPLY.attachments as Inbound,
        REPLY.anonymous as Inbound,
        REPLY.confidential as Inbound,
      ],
      { session: r.session },
    );
    expect(s.last[0]?.text).toContain('*Lokasi*: -7.74561, 110.41235');
  });
});

describe('media step (attachments: optional, up to 5 files of 10 MB, JPG/PNG/PDF)', () => {
  it('collects files with an acknowledgement and a done button, staying at the step', () => {
    const one = file('image/jpeg');
    const two = file('application/pdf');
    const r = run([one, two], { session: at('attachments') });
    expect(r.turns[0]?.outbound).toEqual([
      {
        text: t('id', 'mediaReceived', { n: 1, max: 5 }),
        choices: [{ payload: 'attachments|done', label: 'Selesai' }],
      },
    ]);
    expect(r.turns[1]?.outbound[0]?.text).toBe(t('id', 'mediaReceived', { n: 2, max: 5 }));
    expect(r.session.stepId).toBe('attachments');
    expect(r.session.answers.attachments).toEqual({ kind: 'media', value: [one.media, two.media] });
  });

  it.each([
    ['typed selesai', text('selesai')],
    ['typed done', text('done')],
    ['the done button', press('attachments|done')],
    // The prompt says "lewati" for no (more) files; after some were sent it keeps them.
    ['typed lewati', text('lewati')],
    ['typed skip', text('skip')],
  ])('%s finishes the step with the files collected', (_, finish) => {
    const one = file('image/png');
    const r = run([one, finish], { session: at('attachments') });
    expect(r.session.answers.attachments).toEqual({ kind: 'media', value: [one.media] });
    expect(r.session.stepId).toBe('anonymous');
    expectAsks(r.last[0], 'anonymous');
  });

  it('the fifth file (max_files) moves on by itself', () => {
    const files = [file(), file(), file('application/pdf'), file('image/png'), file()];
    const r = run(files, { session: at('attachments') });
    expect(r.steps).toEqual(['attachments', 'attachments', 'attachments', 'attachments', 'anonymous']);
    expect(r.session.answers.attachments).toEqual({ kind: 'media', value: files.map((f) => f.media) });
    expect(r.last).toHaveLength(1);
    expectAsks(r.last[0], 'anonymous');
  });

  it('back at a full media step, another file is refused politely and the five are kept', () => {
    const files = [file(), file(), file(), file(), file()];
    const full = run([...files, text('kembali')], { session: at('attachments') });
    expect(full.session.stepId).toBe('attachments');
    const r = run([file()], { session: full.session });
    expect(r.last[0]?.text).toBe(t('id', 'mediaFull', { max: 5 }));
    expect(r.session.answers.attachments).toEqual({ kind: 'media', value: files.map((f) => f.media) });
    const done = run([text('selesai')], { session: r.session });
    expect(done.session.stepId).toBe('anonymous');
  });

  const refused: [string, Inbound, string][] = [
    ['a video', file('video/mp4'), t('id', 'mediaType', { types: 'image/jpeg, image/png, application/pdf' })],
    ['a file over 10 MB', file('image/jpeg', 11 * 1024 * 1024), t('id', 'mediaSize', { mb: 10 })],
    ['typed text that is not done', text('fotonya nanti'), t('id', 'mediaExpected')],
    ['a shared location', place(-7.7, 110.4), t('id', 'mediaExpected')],
  ];
  it.each(refused)('%s is refused, the files so far kept', (_, inbound, reason) => {
    const kept = file();
    const r = run([kept, inbound], { session: at('attachments') });
    expect(r.last[0]?.text).toBe(reason);
    expectAsks(r.last[1], 'attachments');
    expect(r.session.stepId).toBe('attachments');
    expect(r.session.answers.attachments).toEqual({ kind: 'media', value: [kept.media] });
    expect(r.session.wrongCount).toBe(1);
  });

  it('the mime type is compared without case', () => {
    const r = run([file('IMAGE/JPEG')], { session: at('attachments') });
    expect(r.last[0]?.text).toBe(t('id', 'mediaReceived', { n: 1, max: 5 }));
  });

  it.each([['lewati'], ['skip'], ['selesai']])('optional and empty: %s skips it', (word) => {
    const r = run([text(word)], { session: at('attachments') });
    expect(r.session.answers.attachments).toEqual({ kind: 'skipped' });
    expect(r.session.stepId).toBe('anonymous');
    expectAsks(r.last[0], 'anonymous');
  });

  describe('a required media step (fixture: photos, 2 files of 1 MB, image/*)', () => {
    const session = () => sessionAt('photos', {}, { history: [] }, evidence);
    it('selesai with no file asks for one', () => {
      const r = run([text('selesai')], { session: session(), catalog: miniCatalog });
      expect(r.last[0]?.text).toBe(t('id', 'mediaRequired'));
      expectAsks(r.last[1], 'photos', 'id', evidence);
      expect(r.session.answers.photos).toBeUndefined();
    });
    it('lewati is refused: the step is not optional', () => {
      const r = run([text('lewati')], { session: session(), catalog: miniCatalog });
      expect(r.last[0]?.text).toBe(t('id', 'notOptional'));
      expectAsks(r.last[1], 'photos', 'id', evidence);
      expect(r.session.stepId).toBe('photos');
    });
    it('image/* takes any image, refuses a PDF, and the second file moves on', () => {
      const png = file('image/png', 1000);
      const webp = file('image/webp', 1000);
      const r = run([png, file('application/pdf'), file('image/gif', 2 * 1024 * 1024), webp], {
        session: session(),
        catalog: miniCatalog,
      });
      expect(r.turns[1]?.outbound[0]?.text).toBe(t('id', 'mediaType', { types: 'image/*' }));
      expect(r.turns[2]?.outbound[0]?.text).toBe(t('id', 'mediaSize', { mb: 1 }));
      expect(r.session.answers.photos).toEqual({ kind: 'media', value: [png.media, webp.media] });
      expect(r.session.stepId).toBe('note');
    });
  });
});

describe('confirm step', () => {
  it('send → exactly one submit effect with only the steps on the path taken, then the flow ends', () => {
    const r = reportTo('confirm', { type: 'aspirasi' });
    const sent = run([press('confirm|send')], { session: r.session });
    const submission = onlySubmission(sent.effects);
    expect(submission).toEqual({
      submissionId: 'sub_draft0001',
      flowId: 'complaint',
      flowVersion: complaint.version,
      lang: 'id',
      answers: {
        ...storedFor('category', 'region', 'title', 'body', 'location', 'attachments'),
        type: { kind: 'choice', value: 'aspirasi' },
        ...storedFor('anonymous', 'confidential'),
      },
      submittedAt: '2026-11-25T03:00:00.000Z',
    });
    expect(sent.last).toEqual([{ text: complaint.done.id }]);
    expect(sent.session).toMatchObject({
      flowId: null,
      stepId: null,
      draftId: null,
      answers: {},
      history: [],
      submitted: ['sub_draft0001'],
    });
  });

  it.each([['kirim'], ['ya'], ['Kirim laporan'], ['send']])('typed %s sends too', (word) => {
    const r = reportTo('confirm');
    const sent = run([text(word)], { session: r.session });
    expect(onlySubmission(sent.effects).answers).toEqual(STORED);
  });

  it('shows a summary of every answer on the path with send / change / cancel buttons', () => {
    const summary = reportTo('confirm').last[0];
    expect(summary?.text.split('\n')).toEqual([
      complaint.stepsById.get('confirm')?.prompt.id,
      '',
      '*Jenis laporan*: Pengaduan',
      '*Kategori*: Jalan dan Infrastruktur',
      '*Kabupaten/Kota*: Kabupaten Sleman',
      `*Judul*: ${TITLE}`,
      `*Isi laporan*: ${BODY}`,
      '*Tanggal kejadian*: 24 November 2026',
      `*Lokasi*: ${ADDRESS}`,
      '*Lampiran*: (dilewati)',
      '*Anonim*: Tidak',
      '*Rahasia*: Tidak',
      '',
      t('id', 'summaryAsk'),
    ]);
    expect(summary?.choices).toEqual([
      { payload: 'confirm|send', label: 'Kirim laporan' },
      { payload: 'confirm|edit', label: 'Ubah jawaban' },
      { payload: 'confirm|cancel', label: 'Batal' },
    ]);
  });

  it.each([
    ['its button', press('~edit|~summary')],
    ['typed "tidak jadi"', text('tidak jadi')],
    ['the global "kembali"', text('kembali')],
  ])('from the list of answers to change, back to the summary unchanged: %s', (_, inbound) => {
    const r = reportTo('confirm');
    const edit = run([press('confirm|edit')], { session: r.session });
    const back = run([inbound], { session: edit.session });
    expect(back.session.stepId).toBe('confirm');
    expect(back.session.overlay).toBeNull();
    expect(back.session.answers).toEqual(r.session.answers);
    expectAsks(back.last[0], 'confirm');
  });

  it('edit → pick an answer → change it → back at the summary with the new answer, then send', () => {
    const r = reportTo('confirm');
    const edit = run([press('confirm|edit')], { session: r.session });
    expect(edit.last[0]?.text).toBe(t('id', 'editPick'));
    expect(edit.last[0]?.choices?.map((c) => c.payload)).toEqual([
      '~edit|type',
      '~edit|category',
      '~edit|region',
      '~edit|title',
      '~edit|body',
      '~edit|incident_date',
      '~edit|location',
      '~edit|attachments',
      '~edit|anonymous',
      '~edit|confidential',
      '~edit|~summary',
    ]);
    expect(edit.last[0]?.choices?.[3]?.label).toBe('Judul');
    expect(edit.last[0]?.choices?.at(-1)?.label).toBe('Kembali ke ringkasan');

    const pick = run([press('~edit|title')], { session: edit.session });
    expectAsks(pick.last[0], 'title');
    expect(pick.last[0]?.text).toContain(t('id', 'previousAnswer', { answer: TITLE }));

    const newTitle = 'Lampu jalan mati di Jalan Magelang km 5';
    const changed = run([text(newTitle)], { session: pick.session });
    expect(changed.session.stepId).toBe('confirm');
    expectAsks(changed.last[0], 'confirm');
    expect(changed.last[0]?.text).toContain(`*Judul*: ${newTitle}`);
    expect(changed.last[0]?.text).not.toContain(TITLE);

    const sent = run([press('confirm|send')], { session: changed.session });
    expect(onlySubmission(sent.effects).answers).toEqual({
      ...STORED,
      title: { kind: 'text', value: newTitle },
    });
  });

  it('edit and pick by typing: "ubah", then the label "Tanggal kejadian"', () => {
    const r = reportTo('confirm');
    const out = run([text('ubah'), text('Tanggal kejadian'), text('2 hari lalu')], { session: r.session });
    expect(out.steps).toEqual(['confirm', 'incident_date', 'confirm']);
    expect(out.last[0]?.text).toContain('*Tanggal kejadian*: 23 November 2026');
  });

  it('an edit pick that is not an answer on the list asks the pick again', () => {
    const r = reportTo('confirm');
    const out = run([press('confirm|edit'), text('zzzz qqqq')], { session: r.session });
    expect(out.last[0]?.text).toBe(t('id', 'editPick'));
    expect(out.session.overlay).toBe('editPick');
    expect(out.session.stepId).toBe('confirm');
  });

  it('cancel → the draft is deleted, nothing is sent, the menu is shown', () => {
    const r = reportTo('confirm');
    const out = run([press('confirm|cancel')], { session: r.session });
    expect(out.effects).toEqual([]);
    expect(out.last[0]?.text).toBe(t('id', 'cancelled'));
    expectMenu(out.last[1]);
    expect(out.session).toMatchObject({ flowId: null, stepId: null, draftId: null, answers: {} });
  });

  it('anything else at the summary explains the choice and shows the summary again', () => {
    const r = reportTo('confirm');
    const out = run([text('hmm entahlah')], { session: r.session });
    expect(out.last[0]?.text).toBe(t('id', 'chooseOne'));
    expectAsks(out.last[1], 'confirm');
    expect(out.effects).toEqual([]);
    expect(out.session.answers).toEqual(STORED);
  });
});

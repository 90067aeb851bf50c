import { describe, expect, it } from 'vitest';
import { newSession } from '../../src/engine/engine.ts';
import { t } from '../../src/engine/messages.ts';
import type { Lang, Session } from '../../src/engine/types.ts';
import { generateTrackingNumber } from '../../src/tickets/tracking-number.ts';
import {
  BODY,
  complaint,
  continueTo,
  ctx,
  ctxWith,
  expectAsks,
  expectMenu,
  helpOf,
  onlySubmission,
  press,
  reportTo,
  run,
  STORED,
  sessionAt,
  status,
  storedFor,
  TITLE,
  text,
} from './engine-harness.ts';

// Global words work at every step, in Bahasa Indonesia and English, and only as the whole message.

/** A report in `lang`, reached by answering, now at `stepId`. */
function reportAt(stepId: string, lang: Lang): Session {
  return reportTo(stepId, { session: newSession(ctx.now, lang) }).session;
}

const TRACKING = generateTrackingNumber(new Uint8Array([7, 1, 2, 3, 4, 5, 6, 8]));

describe('batal / cancel', () => {
  it.each([
    ['batal', 'id'],
    ['Batal!', 'id'],
    ['/batal', 'id'],
    ['batalkan', 'id'],
    ['cancel', 'en'],
    ['CANCEL', 'en'],
    ['~g|cancel', 'id'],
  ] as [string, Lang][])('%s (%s) at a step: the draft is gone and the menu shown', (word, lang) => {
    const before = reportAt('incident_date', lang);
    const inbound = word.startsWith('~g|') ? press(word) : text(word);
    const r = run([inbound], { session: before });
    expect(r.last[0]?.text).toBe(t(lang, 'cancelled'));
    expectMenu(r.last[1], lang);
    expect(r.last).toHaveLength(2);
    expect(r.effects).toEqual([]);
    expect(r.session).toMatchObject({
      lang,
      flowId: null,
      flowVersion: null,
      stepId: null,
      draftId: null,
      answers: {},
      history: [],
    });
  });

  it('with nothing in progress it says so and shows the menu', () => {
    const r = run([text('batal')]);
    expect(r.last[0]?.text).toBe(t('id', 'nothingToCancel'));
    expectMenu(r.last[1]);
  });

  it('after cancelling, a new report starts empty with a new draft id', () => {
    const cancelled = run([text('batal')], { session: reportAt('body', 'id') });
    const again = run([text('lapor')], { session: cancelled.session, ctx: ctxWith('draft0002') });
    expect(again.session).toMatchObject({
      flowId: 'complaint',
      stepId: 'type',
      draftId: 'draft0002',
      answers: {},
    });
  });
});

describe('kembali / back', () => {
  it.each([
    ['kembali', 'id'],
    ['Kembali', 'id'],
    ['mundur', 'id'],
    ['back', 'en'],
    ['/back', 'en'],
  ] as [string, Lang][])(
    '%s (%s): the previous step is asked again with its answer; answers kept',
    (word, lang) => {
      const before = reportAt('incident_date', lang);
      const r = run([text(word)], { session: before });
      expect(r.session.stepId).toBe('body');
      expect(r.last).toHaveLength(1);
      expectAsks(r.last[0], 'body', lang);
      expect(r.last[0]?.text).toContain(t(lang, 'previousAnswer', { answer: BODY }));
      expect(r.session.answers).toEqual(before.answers);
      expect(r.session.history).toEqual(['type', 'category', 'region', 'title']);
    },
  );

  it('twice goes two steps back; answering again moves forward from there', () => {
    const r = run([text('kembali'), text('kembali')], { session: reportAt('incident_date', 'id') });
    expect(r.steps).toEqual(['body', 'title']);
    expect(r.last[0]?.text).toContain(t('id', 'previousAnswer', { answer: TITLE }));
    const forward = run([text('Judul yang baru untuk laporan ini')], { session: r.session });
    expect(forward.session.stepId).toBe('body');
    // The body answered before is still there and offered again.
    expect(forward.last[0]?.text).toContain(t('id', 'previousAnswer', { answer: BODY }));
  });

  it('a choice step asked again shows the previous choice by its label', () => {
    const r = run([text('back')], { session: reportAt('category', 'en') });
    expectAsks(r.last[0], 'type', 'en');
    expect(r.last[0]?.text).toContain(t('en', 'previousAnswer', { answer: 'Complaint' }));
  });

  it('at the first question it says so and asks it again', () => {
    const r = run([text('kembali')], { session: reportAt('type', 'id') });
    expect(r.last[0]?.text).toBe(t('id', 'firstQuestion'));
    expectAsks(r.last[1], 'type');
    expect(r.session.stepId).toBe('type');
  });
});

describe('lewati / skip', () => {
  it.each([
    ['lewati', 'id'],
    ['/lewati', 'id'],
    ['skip', 'en'],
    ['~g|skip', 'id'],
  ] as [string, Lang][])('%s (%s) at an optional step stores skipped and moves on', (word, lang) => {
    const inbound = word.startsWith('~g|') ? press(word) : text(word);
    const r = run([inbound], { session: reportAt('location', lang) });
    expect(r.session.answers.location).toEqual({ kind: 'skipped' });
    expect(r.session.stepId).toBe('attachments');
    expectAsks(r.last[0], 'attachments', lang);
  });

  it.each([
    ['lewati', 'id', 'title'],
    ['skip', 'en', 'title'],
    ['lewati', 'id', 'type'],
    ['skip', 'en', 'incident_date'],
    ['lewati', 'id', 'confirm'],
  ] as [string, Lang, string][])(
    '%s (%s) at required step %s: told, asked again, draft intact',
    (word, lang, stepId) => {
      const before = reportAt(stepId, lang);
      const r = run([text(word)], { session: before });
      expect(r.last[0]?.text).toBe(t(lang, 'notOptional'));
      expectAsks(r.last[1], stepId, lang);
      expect(r.session.stepId).toBe(stepId);
      expect(r.session.answers).toEqual(before.answers);
      expect(r.session.draftId).toBe('draft0001');
      expect(r.effects).toEqual([]);
    },
  );

  it('the summary reads a skipped answer back as skipped', () => {
    const r = reportTo('confirm');
    expect(r.last[0]?.text).toContain('*Lampiran*: (dilewati)');
  });
});

describe('bantuan / help', () => {
  it.each([
    ['bantuan', 'id'],
    ['tolong', 'id'],
    ['?', 'id'],
    ['help', 'en'],
    ['/help', 'en'],
  ] as [string, Lang][])(
    "%s (%s): the step's help text, the list of words, then the step again",
    (word, lang) => {
      const before = reportAt('title', lang);
      const r = run([text(word)], { session: before });
      expect(r.last.map((o) => o.text).slice(0, 2)).toEqual([helpOf('title', lang), t(lang, 'generalHelp')]);
      expectAsks(r.last[2], 'title', lang);
      expect(r.last).toHaveLength(3);
      expect(r.session.stepId).toBe('title');
      expect(r.session.answers).toEqual(before.answers);
      expect(r.session.wrongCount).toBe(0);
    },
  );

  it('outside a flow: the list of words and the menu', () => {
    const r = run([text('bantuan')]);
    expect(r.last[0]?.text).toBe(t('id', 'generalHelp'));
    expectMenu(r.last[1]);
  });
});

describe('bahasa / language', () => {
  it('bahasa, then English: the same step again in English, and every prompt after it', () => {
    const before = reportAt('title', 'id');
    const ask = run([text('bahasa')], { session: before });
    expect(ask.last).toEqual([
      {
        text: t('id', 'chooseLanguage'),
        choices: [
          { payload: '~lang|id', label: 'Bahasa Indonesia' },
          { payload: '~lang|en', label: 'English' },
        ],
      },
    ]);
    expect(ask.session.overlay).toBe('language');

    const chosen = run([text('English')], { session: ask.session });
    expect(chosen.session.lang).toBe('en');
    expect(chosen.last[0]?.text).toBe(t('en', 'languageSet'));
    expectAsks(chosen.last[1], 'title', 'en');
    expect(chosen.session.stepId).toBe('title');
    expect(chosen.session.answers).toEqual(before.answers);

    const next = run([text(TITLE), text('x')], { session: chosen.session });
    expectAsks(next.turns[0]?.outbound[0], 'body', 'en');
    expect(next.last[0]?.text).toBe(t('en', 'tooShort', { min: 30, n: 1 }));
  });

  it('language, then the Bahasa Indonesia button: back to Indonesian at the same step', () => {
    const r = run([text('language'), press('~lang|id')], { session: reportAt('region', 'en') });
    expect(r.turns[0]?.outbound[0]?.text).toBe(t('en', 'chooseLanguage'));
    expect(r.last[0]?.text).toBe(t('id', 'languageSet'));
    expectAsks(r.last[1], 'region', 'id');
    expect(r.session.lang).toBe('id');
  });

  it('an answer instead of a language is taken as the answer to the step', () => {
    const r = run([text('bahasa'), text(TITLE)], { session: reportAt('title', 'id') });
    expect(r.session.lang).toBe('id');
    expect(r.session.answers.title).toEqual({ kind: 'text', value: TITLE });
    expect(r.session.overlay).toBeNull();
    expectAsks(r.last[0], 'body');
  });
});

describe('status mid-report', () => {
  it.each([
    ['status', 'id'],
    ['cek status', 'id'],
    ['status', 'en'],
  ] as [string, Lang][])(
    '%s (%s): parked, tracking number asked, status checked, report resumed',
    (word, lang) => {
      const before = reportAt('body', lang);
      const asked = run([text(word)], { session: before, ctx: ctxWith('draft0002') });
      expect(asked.last).toHaveLength(1);
      expectAsks(asked.last[0], 'tracking_id', lang, status);
      expect(asked.session.flowId).toBe('status');
      expect(asked.session.parked).toEqual({
        flowId: 'complaint',
        stepId: 'body',
        answers: before.answers,
        history: before.history,
        draftId: 'draft0001',
      });

      // Lower case and without dashes, as people type it; the effect carries the canonical form.
      const typed = TRACKING.toLowerCase().replace(/-/g, ' ');
      const checked = run([text(typed)], { session: asked.session, ctx: ctxWith('draft0003') });
      expect(checked.effects).toEqual([{ kind: 'checkStatus', trackingId: TRACKING, lang }]);
      expect(checked.last[0]?.text).toBe(t(lang, 'resumeParked'));
      expectAsks(checked.last[1], 'body', lang);
      expect(checked.session).toMatchObject({
        flowId: 'complaint',
        flowVersion: complaint.version,
        stepId: 'body',
        draftId: 'draft0001',
        answers: before.answers,
        history: before.history,
        parked: null,
      });

      // The resumed report finishes as one submission of the original draft with all its answers.
      const done = continueTo('end', checked.session);
      const submission = onlySubmission(done.effects);
      expect(submission.submissionId).toBe('sub_draft0001');
      expect(submission.answers).toEqual(STORED);
    },
  );

  it('a wrong tracking number is explained and asked again; the parked report waits', () => {
    const asked = run([text('status')], { session: reportAt('title', 'id') });
    const wrong = run([text('ADU-0000-0000')], { session: asked.session });
    expect(wrong.last[0]?.text).toBe(t('id', 'badTrackingNumber'));
    expectAsks(wrong.last[1], 'tracking_id', 'id', status);
    expect(wrong.effects).toEqual([]);
    expect(wrong.session.parked?.stepId).toBe('title');
  });

  it('status inside the status flow asks for the number again and parks nothing new', () => {
    const asked = run([text('status'), text('status')], { session: reportAt('title', 'id') });
    expectAsks(asked.last[0], 'tracking_id', 'id', status);
    expect(asked.session.parked?.stepId).toBe('title');
  });

  it('cancelling the status check brings the parked report back without saying it was deleted', () => {
    const before = reportAt('title', 'id');
    const r = run([text('status'), text('batal')], { session: before });
    expect(r.last.map((o) => o.text)).not.toContain(t('id', 'cancelled'));
    expect(r.last[0]?.text).toBe(t('id', 'resumeParked'));
    expectAsks(r.last[1], 'title');
    expect(r.session).toMatchObject({
      flowId: 'complaint',
      stepId: 'title',
      answers: before.answers,
      parked: null,
    });
  });

  it('outside a report: status starts the status flow, and a number gives a checkStatus effect', () => {
    const r = run([text('status'), text(TRACKING)]);
    expect(r.effects).toEqual([{ kind: 'checkStatus', trackingId: TRACKING, lang: 'id' }]);
    expect(r.session).toMatchObject({ flowId: null, stepId: null, parked: null });
  });
});

describe('global words only when they are the whole message', () => {
  const answers: [string, string, string][] = [
    ['body', `${BODY} Saya ingin batal mengurus KTP karena antre terlalu lama.`, 'text'],
    ['body', 'Petugas menyuruh saya kembali besok tanpa alasan yang jelas sama sekali.', 'text'],
    ['title', 'Status KTP-el belum jadi', 'text'],
    ['title', 'Mohon bantuan perbaikan jalan', 'text'],
    ['title', 'Please help fix the road', 'text'],
    ['title', 'Lewati jembatan rusak', 'text'],
    ['title', 'Bahasa petugas kasar sekali', 'text'],
  ];
  it.each(answers)('at %s, "%s" is an answer', (stepId, input) => {
    const before = sessionAt(stepId, storedFor(...complaint.order.slice(0, complaint.order.indexOf(stepId))));
    const r = run([text(input)], { session: before });
    expect(r.session.answers[stepId]).toEqual({ kind: 'text', value: input });
    expect(r.session.flowId).toBe('complaint');
    expect(r.session.stepId).not.toBe(stepId);
    expect(r.session.parked).toBeNull();
    expect(r.session.overlay).toBeNull();
  });

  it('the same word alone is the global word', () => {
    const before = sessionAt('title', storedFor('type', 'category', 'region'));
    expect(run([text('  Batal  ')], { session: before }).session.flowId).toBeNull();
    expect(run([text('kembali.')], { session: before }).session.stepId).toBe('region');
  });

  it('at a choice step, "batal dulu" is a (wrong) answer, not a cancel', () => {
    const before = reportAt('anonymous', 'id');
    const r = run([text('batal dulu')], { session: before });
    expect(r.session.flowId).toBe('complaint');
    expect(r.session.answers).toEqual(before.answers);
    expect(r.last[0]?.text).toBe(t('id', 'chooseOne'));
    expectAsks(r.last[1], 'anonymous');
  });

  it('the global-word button payloads are only those words', () => {
    // "~g|constructor" names an inherited property of an object, not a global word.
    const before = reportAt('title', 'id');
    const r = run([press('~g|constructor')], { session: before });
    expect(r.last[0]?.text).toBe(t('id', 'staleButton'));
    expectAsks(r.last[1], 'title');
    expect(r.session.answers).toEqual(before.answers);
  });

  it('the Lewati button (a global-word payload) pressed at a required step is refused like the word', () => {
    const r = run([text(TITLE), press('~g|skip')], { session: reportAt('title', 'id') });
    expect(r.last[0]?.text).toBe(t('id', 'notOptional'));
    expectAsks(r.last[1], 'body');
    expect(r.session.stepId).toBe('body');
    expect(r.session.answers.body).toBeUndefined();
  });
});

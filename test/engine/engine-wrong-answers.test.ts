import { describe, expect, it } from 'vitest';
import { MAX_WRONG } from '../../src/engine/engine.ts';
import { t } from '../../src/engine/messages.ts';
import type { Inbound, Lang, Session } from '../../src/engine/types.ts';
import {
  complaint,
  expectAsks,
  expectMenu,
  file,
  helpOf,
  onlySubmission,
  place,
  press,
  REPLY,
  reportTo,
  run,
  STORED,
  sessionAt,
  start,
  status,
  storedFor,
  TITLE,
  text,
} from './engine-harness.ts';

/** A session at `stepId` of the report flow with the earlier steps of the complaint path answered. */
function at(stepId: string, lang: Lang = 'id'): Session {
  return sessionAt(stepId, storedFor(...complaint.order.slice(0, complaint.order.indexOf(stepId))), { lang });
}

// One wrong answer per step kind: what was sent → what the bot explains. The step is asked again,
// the draft is untouched, and the mistake is counted.
const wrong: [string, Inbound, Lang, string][] = [
  ['type', text('entahlah'), 'id', t('id', 'chooseOne')],
  ['type', text('whatever'), 'en', t('en', 'chooseOne')],
  ['region', text('kabupaten'), 'id', t('id', 'ambiguous')],
  ['title', text('rusak'), 'id', t('id', 'tooShort', { min: 10, n: 5 })],
  ['title', place(-7.7, 110.4), 'id', t('id', 'textExpected')],
  ['body', text('x'.repeat(4001)), 'id', t('id', 'tooLong', { max: 4000, n: 4001 })],
  ['incident_date', text('besok'), 'id', t('id', 'dateFuture')],
  ['incident_date', text('kapan-kapan'), 'en', t('en', 'dateInvalid')],
  ['location', text('Jl'), 'id', t('id', 'locationExpected')],
  ['location', place(-100, 0), 'en', t('en', 'locationExpected')],
  [
    'attachments',
    file('audio/ogg'),
    'id',
    t('id', 'mediaType', { types: 'image/jpeg, image/png, application/pdf' }),
  ],
  ['attachments', file('image/png', 50 * 1024 * 1024), 'en', t('en', 'mediaSize', { mb: 10 })],
  ['attachments', text('nanti saja'), 'id', t('id', 'mediaExpected')],
  ['confirm', text('mungkin'), 'id', t('id', 'chooseOne')],
];

describe('a wrong answer explains what is expected and asks the same step again', () => {
  it.each(wrong)('at %s: %j (%s)', (stepId, inbound, lang, reason) => {
    const before = at(stepId, lang);
    const r = run([inbound], { session: before });
    expect(r.last).toHaveLength(2);
    expect(r.last[0]?.text).toBe(reason);
    expectAsks(r.last[1], stepId, lang);
    expect(r.session.stepId).toBe(stepId);
    expect(r.session.answers).toEqual(before.answers);
    expect(r.session.history).toEqual(before.history);
    expect(r.session.draftId).toBe('draft0001');
    expect(r.session.wrongCount).toBe(1);
    expect(r.session.overlay).toBeNull();
    expect(r.effects).toEqual([]);
  });

  it('in the status flow: a number that is not one of ours', () => {
    const r = run([text('status'), text('ADU-1111-1111')]);
    expect(r.last[0]?.text).toBe(t('id', 'badTrackingNumber'));
    expectAsks(r.last[1], 'tracking_id', 'id', status);
    expect(r.session.wrongCount).toBe(1);
  });
});

describe(`the ${MAX_WRONG}rd wrong answer in a row offers help, retry or cancel`, () => {
  it.each(wrong)('at %s after three of %j (%s)', (stepId, inbound, lang, reason) => {
    const before = at(stepId, lang);
    const r = run([inbound, inbound, inbound], { session: before });
    expect(r.turns.map((x) => x.session.wrongCount)).toEqual([1, 2, 0]);
    expect(r.last).toEqual([
      {
        text: `${reason}\n\n${t(lang, 'stuck')}`,
        choices: [
          { payload: '~stuck|help', label: t(lang, 'stuckHelp') },
          { payload: '~stuck|retry', label: t(lang, 'stuckRetry') },
          { payload: '~g|cancel', label: t(lang, 'stuckCancel') },
        ],
      },
    ]);
    expect(r.session.overlay).toBe('stuck');
    expect(r.session.stepId).toBe(stepId);
    expect(r.session.answers).toEqual(before.answers);
  });

  const stuck = () => run([text('x'), text('x'), text('x')], { session: at('title') }).session;

  it('help: the step’s help, then the step', () => {
    const r = run([press('~stuck|help')], { session: stuck() });
    expect(r.last[0]?.text).toBe(helpOf('title'));
    expectAsks(r.last[1], 'title');
    expect(r.session.overlay).toBeNull();
  });

  it.each([[press('~stuck|retry')], [text('Coba lagi')], [text('try again')]])(
    'retry (%j): the step again',
    (inbound) => {
      const r = run([inbound], { session: stuck() });
      expect(r.last).toHaveLength(1);
      expectAsks(r.last[0], 'title');
      expect(r.session.overlay).toBeNull();
      expect(r.session.stepId).toBe('title');
    },
  );

  it('cancel: the draft is deleted and the menu shown', () => {
    const r = run([press('~g|cancel')], { session: stuck() });
    expect(r.last[0]?.text).toBe(t('id', 'cancelled'));
    expectMenu(r.last[1]);
    expect(r.session.flowId).toBeNull();
  });

  it('"3" after the menu is an answer to the step, never a cancel (WhatsApp numbers only help and retry)', () => {
    const atType = run([text('x'), text('x'), text('x')], { session: at('type') }).session;
    expect(atType.overlay).toBe('stuck');
    const r = run([text('3')], { session: atType });
    expect(r.session.flowId).toBe('complaint');
    expect(r.session.answers.type).toBeDefined();
    expect(r.last.some((m) => m.text === t('id', 'cancelled'))).toBe(false);
    // At a text step, "3" is simply a (too short) answer: the draft stays.
    const atTitle = run([text('3')], { session: stuck() });
    expect(atTitle.session.flowId).toBe('complaint');
    expect(atTitle.session.answers).toEqual(stuck().answers);
  });

  it.each([[text('Batalkan laporan')], [text('cancel the report')]])(
    'cancel typed as the option itself (%j): the draft is deleted',
    (inbound) => {
      const r = run([inbound], { session: stuck() });
      expect(r.last[0]?.text).toBe(t('id', 'cancelled'));
      expect(r.session.flowId).toBeNull();
    },
  );

  it('a near match of cancel is not enough to delete a draft: "laporan" is read as an answer', () => {
    const r = run([text('laporan')], { session: stuck() });
    expect(r.session.flowId).toBe('complaint');
    expect(r.session.stepId).toBe('title');
    expect(r.session.answers).toEqual(stuck().answers);
  });

  it('a fresh start closes the help-or-cancel menu, so a later "2" answers the step', () => {
    const r = run([start()], { session: stuck() });
    expect(r.session.overlay).toBeNull();
    expectAsks(r.last[1], 'title');
  });

  it('a right answer instead of a button is simply taken', () => {
    const r = run([text(TITLE)], { session: stuck() });
    expect(r.session.answers.title).toEqual({ kind: 'text', value: TITLE });
    expectAsks(r.last[0], 'body');
  });

  it('three more wrong answers after retry offer the buttons again (the count started over)', () => {
    const r = run([press('~stuck|retry'), text('x'), text('x')], { session: stuck() });
    expect(r.session.wrongCount).toBe(2);
    expect(r.session.overlay).toBeNull();
    const third = run([text('x')], { session: r.session });
    expect(third.session.overlay).toBe('stuck');
  });
});

describe('the count of wrong answers', () => {
  it('resets after a right answer: two wrong, right, two wrong is not stuck', () => {
    const r = run([text('a'), text('b'), text(TITLE), text('c'), text('d')], { session: at('title') });
    expect(r.turns.map((x) => x.session.wrongCount)).toEqual([1, 2, 0, 1, 2]);
    expect(r.session.stepId).toBe('body');
    expect(r.session.overlay).toBeNull();
    expect(r.last[0]?.text).toBe(t('id', 'tooShort', { min: 30, n: 1 }));
  });

  it('resets when a media step collects a file', () => {
    const r = run([text('nanti'), text('nanti'), file()], { session: at('attachments') });
    expect(r.turns.map((x) => x.session.wrongCount)).toEqual([1, 2, 0]);
  });

  it('is not raised by global words', () => {
    const r = run([text('x'), text('bantuan'), text('x')], { session: at('title') });
    expect(r.session.wrongCount).toBe(2);
    expect(r.session.overlay).toBeNull();
  });
});

describe('stale buttons', () => {
  it('a button of an earlier step does not answer the current one and is not a mistake', () => {
    const before = at('title');
    const r = run([press('type|aspirasi')], { session: before });
    expect(r.last[0]?.text).toBe(t('id', 'staleButton'));
    expectAsks(r.last[1], 'title');
    expect(r.session.answers).toEqual(before.answers);
    expect(r.session.answers.type).toEqual({ kind: 'choice', value: 'pengaduan' });
    expect(r.session.stepId).toBe('title');
    expect(r.session.wrongCount).toBe(0);
  });

  it('neither counts nor resets the wrong answers: wrong, stale ×3, wrong is two in a row', () => {
    const stale = press('category|kesehatan');
    const r = run([text('x'), stale, stale, stale, text('y')], { session: at('title') });
    expect(r.turns.map((x) => x.session.wrongCount)).toEqual([1, 1, 1, 1, 2]);
    expect(r.session.overlay).toBeNull();
  });

  it.each([
    ['a choice step', 'region', press('type|aspirasi')],
    ['a date step', 'incident_date', press('anonymous|yes')],
    ['a media step', 'attachments', press('anonymous|yes')],
    ['the summary', 'confirm', press('type|aspirasi')],
    ['any step, a menu button', 'title', press('~menu|status')],
    ['any step, a language button after the question passed', 'title', press('~lang|en')],
    ['any step, an edit button after the pick passed', 'body', press('~edit|title')],
  ])('at %s (%s): %j', (_, stepId, inbound) => {
    const before = at(stepId);
    const r = run([inbound], { session: before });
    expect(r.last[0]?.text).toBe(t('id', 'staleButton'));
    expectAsks(r.last[1], stepId);
    expect(r.session).toEqual({ ...before, lastActivityAt: r.session.lastActivityAt });
  });

  it('"Kirim laporan" pressed twice gives one submit; the second press finds no flow', () => {
    const r = reportTo('confirm');
    const sent = run([press('confirm|send'), press('confirm|send')], { session: r.session });
    expect(onlySubmission(sent.effects).answers).toEqual(STORED);
    expect(sent.turns[1]?.effects).toEqual([]);
    expect(sent.last[0]?.text).toBe(t('id', 'staleButton'));
    expectMenu(sent.last[1]);
    expect(sent.session.submitted).toEqual(['sub_draft0001']);
  });

  it('the edit pick answered twice: the second press is stale at the step being changed', () => {
    const r = reportTo('confirm');
    const out = run([press('confirm|edit'), press('~edit|title'), press('~edit|body')], {
      session: r.session,
    });
    expect(out.session.stepId).toBe('title');
    expect(out.last[0]?.text).toBe(t('id', 'staleButton'));
  });

  it('the canned reply of each step is not accepted at another step as a button', () => {
    // Every button answer in REPLY belongs to its own step only.
    for (const [stepId, reply] of Object.entries(REPLY)) {
      if (reply.kind !== 'choice') continue;
      const other = stepId === 'title' ? 'body' : 'title';
      const r = run([reply], { session: at(other) });
      expect(r.session.stepId, `${stepId} button at ${other}`).toBe(other);
      expect(r.last[0]?.text).toBe(t('id', 'staleButton'));
    }
  });
});

import { describe, expect, it } from 'vitest';
import { type FlowCatalog, newSession, turn } from '../../src/engine/engine.ts';
import { t } from '../../src/engine/messages.ts';
import type { Inbound, Session } from '../../src/engine/types.ts';
import type { Flow } from '../../src/flows/loader.ts';
import { generateTrackingNumber } from '../../src/tickets/tracking-number.ts';
import {
  catalog,
  complaint,
  continueTo,
  ctx,
  ctxWith,
  deepFreeze,
  expectAsks,
  expectMenu,
  file,
  onlySubmission,
  place,
  press,
  REPLY,
  reportTo,
  run,
  STORED,
  sessionAt,
  status,
  storedFor,
  TITLE,
  text,
} from './engine-harness.ts';

describe('start', () => {
  it('{kind: start} shows the menu: report flows first, then status, help and language', () => {
    const r = run([{ kind: 'start' }]);
    expect(r.last).toHaveLength(1);
    expectMenu(r.last[0]);
    expect(r.last[0]?.choices?.map((c) => c.label)).toEqual([
      'Sampaikan Laporan',
      'Cek Status Laporan',
      'Bantuan',
      'Bahasa / Language',
    ]);
    expect(r.session.flowId).toBeNull();
  });

  it.each([['lapor'], ['report'], ['aduan']])('{kind: start, payload: %s} starts the report', (payload) => {
    const r = run([{ kind: 'start', payload }], { ctx: ctxWith('deeplink01') });
    expect(r.session).toMatchObject({
      flowId: 'complaint',
      flowVersion: complaint.version,
      stepId: 'type',
      draftId: 'deeplink01',
      answers: {},
    });
    expect(r.last).toHaveLength(1);
    expectAsks(r.last[0], 'type');
  });

  it('an unknown deep link shows the menu', () => {
    const r = run([{ kind: 'start', payload: 'zzzzzz' }]);
    expectMenu(r.last[0]);
    expect(r.session.flowId).toBeNull();
  });

  it.each([[undefined], ['lapor']])(
    'start (payload %s) mid-report: welcome back, the current step again',
    (payload) => {
      const before = reportTo('incident_date').session;
      const inbound: Inbound = payload === undefined ? { kind: 'start' } : { kind: 'start', payload };
      const r = run([inbound], { session: before, ctx: ctxWith('other-draft') });
      expect(r.last[0]?.text).toBe(t('id', 'welcomeBack'));
      expectAsks(r.last[1], 'incident_date');
      expect(r.session).toMatchObject({
        stepId: 'incident_date',
        draftId: 'draft0001',
        answers: before.answers,
        history: before.history,
      });
    },
  );

  it('a status deep link mid-report parks the report instead of dropping it', () => {
    const before = reportTo('title').session;
    const r = run([{ kind: 'start', payload: 'status' }], { session: before });
    expectAsks(r.last[0], 'tracking_id', 'id', status);
    expect(r.session.parked).toMatchObject({ flowId: 'complaint', stepId: 'title', answers: before.answers });
    const tracking = generateTrackingNumber(new Uint8Array([9, 9, 9, 9, 1, 1, 1, 1]));
    const back = run([text(tracking)], { session: r.session });
    expect(back.effects).toEqual([{ kind: 'checkStatus', trackingId: tracking, lang: 'id' }]);
    expect(back.session).toMatchObject({ flowId: 'complaint', stepId: 'title', answers: before.answers });
  });

  it.each([
    ['the menu button', press('~menu|complaint')],
    ['a trigger word', text('lapor')],
    ['the title', text('Sampaikan laporan')],
    ['its number in the menu', text('1')],
  ])('from the menu, %s starts the report', (_, inbound) => {
    const r = run([{ kind: 'start' }, inbound]);
    expect(r.session.stepId).toBe('type');
  });

  it('from the menu, nonsense shows the menu again', () => {
    const r = run([{ kind: 'start' }, text('halo selamat pagi')]);
    expect(r.last).toHaveLength(1);
    expectMenu(r.last[0]);
  });

  it('each report gets the new id it started with: two reports, two submissions', () => {
    const first = reportTo('end', { ctx: ctxWith('draftAAAA') });
    const second = reportTo('end', { ctx: ctxWith('draftBBBB'), session: first.session, type: 'aspirasi' });
    expect(onlySubmission(first.effects).submissionId).toBe('sub_draftAAAA');
    expect(onlySubmission(second.effects).submissionId).toBe('sub_draftBBBB');
    expect(second.session.submitted).toEqual(['sub_draftAAAA', 'sub_draftBBBB']);
  });

  it('the new id of a later turn does not change a draft already started', () => {
    const r = reportTo('title', { ctx: ctxWith('draftAAAA') });
    const later = continueTo('end', r.session, { ctx: ctxWith('draftZZZZ') });
    expect(onlySubmission(later.effects).submissionId).toBe('sub_draftAAAA');
  });
});

// ── Flows change while people talk ─────────────────────────────────────────────────────────────

/** A copy of `flow` without the steps `remove` (from steps, stepsById and order), as a reload would give. */
function without(flow: Flow, remove: string[], version: string): Flow {
  return {
    ...flow,
    version,
    steps: flow.steps.filter((s) => !remove.includes(s.id)),
    stepsById: new Map([...flow.stepsById].filter(([id]) => !remove.includes(id))),
    order: flow.order.filter((id) => !remove.includes(id)),
  };
}

function catalogWith(flow: Flow): FlowCatalog {
  return { flows: new Map([...catalog.flows, [flow.id, flow]]) };
}

describe('flows change while people talk', () => {
  it('a new version whose step still exists: carries on silently, version updated', () => {
    const before = sessionAt('title', storedFor('type', 'category', 'region'), {
      flowVersion: 'old-version',
    });
    const r = run([text(TITLE)], { session: before });
    expect(r.last.map((o) => o.text)).not.toContain(t('id', 'flowChanged'));
    expect(r.last).toHaveLength(1);
    expectAsks(r.last[0], 'body');
    expect(r.session.flowVersion).toBe(complaint.version);
    expect(r.session.answers).toEqual(storedFor('type', 'category', 'region', 'title'));
  });

  it('a wrong answer on a new version is just a wrong answer, still no flowChanged', () => {
    const before = sessionAt('title', storedFor('type', 'category', 'region'), {
      flowVersion: 'old-version',
    });
    const r = run([text('x')], { session: before });
    expect(r.last.map((o) => o.text)).toEqual([t('id', 'tooShort', { min: 10, n: 1 }), expect.any(String)]);
    expect(r.session.flowVersion).toBe(complaint.version);
  });

  it('the step is gone: told politely, resumed at the first unanswered step, every answer kept', () => {
    const v2 = without(complaint, ['title'], 'v2-no-title');
    const answers = storedFor('type', 'category', 'region');
    const before = sessionAt('title', answers, { flowVersion: complaint.version });
    const r = run([text(TITLE)], { session: before, catalog: catalogWith(v2) });
    expect(r.last[0]?.text).toBe(t('id', 'flowChanged'));
    expectAsks(r.last[1], 'body');
    expect(r.last).toHaveLength(2);
    // The message that arrived was meant for the old question, so it is not taken as an answer.
    expect(r.session.answers).toEqual(answers);
    expect(r.session).toMatchObject({ stepId: 'body', flowVersion: 'v2-no-title', draftId: 'draft0001' });
  });

  it('answers for a removed step are kept in the draft but not submitted', () => {
    const v2 = without(complaint, ['anonymous'], 'v2-no-anonymous');
    const answers = storedFor(...complaint.order.slice(0, complaint.order.indexOf('anonymous')));
    const before = sessionAt('anonymous', answers, { flowVersion: complaint.version, lang: 'en' });
    const cat = catalogWith(v2);
    const r = run([press('anonymous|yes')], { session: before, catalog: cat });
    expect(r.last[0]?.text).toBe(t('en', 'flowChanged'));
    expectAsks(r.last[1], 'confidential', 'en');
    expect(r.session.history).toEqual(before.history);
    const sent = run([press('confidential|yes'), press('confirm|send')], {
      session: r.session,
      catalog: cat,
    });
    const submission = onlySubmission(sent.effects);
    expect(submission.flowVersion).toBe('v2-no-anonymous');
    expect(submission.answers).not.toHaveProperty('anonymous');
    expect(submission.answers.confidential).toEqual({ kind: 'choice', value: 'yes' });
  });

  it('the history drops removed steps, so kembali lands on a step that exists', () => {
    const v2 = without(complaint, ['region'], 'v2-no-region');
    const before = sessionAt('region', storedFor('type', 'category'), { history: ['type', 'category'] });
    const changed = run([text('sleman')], { session: before, catalog: catalogWith(v2) });
    expect(changed.session.stepId).toBe('title');
    const back = run([text('kembali')], { session: changed.session, catalog: catalogWith(v2) });
    expectAsks(back.last[0], 'category');
  });

  it('start mid-report when the step is gone: welcome back, told, and the nearest open step asked', () => {
    const v2 = without(complaint, ['title'], 'v2-no-title');
    const before = sessionAt('title', storedFor('type', 'category', 'region'));
    const r = run([{ kind: 'start' }], { session: before, catalog: catalogWith(v2) });
    expect(r.last.map((o) => o.text).slice(0, 2)).toEqual([t('id', 'welcomeBack'), t('id', 'flowChanged')]);
    expectAsks(r.last[2], 'body');
    expect(r.session.stepId).toBe('body');
  });

  it('choosing a language when the step is gone still asks a question', () => {
    const v2 = without(complaint, ['title'], 'v2-no-title');
    const before = sessionAt('title', storedFor('type', 'category', 'region'));
    const r = run([text('bahasa'), text('English')], { session: before, catalog: catalogWith(v2) });
    expect(r.last.map((o) => o.text).slice(0, 2)).toEqual([t('en', 'languageSet'), t('en', 'flowChanged')]);
    expectAsks(r.last[2], 'body', 'en');
  });

  it('a report parked for a status check resumes on the new flow at the nearest step', () => {
    const before = sessionAt('title', storedFor('type', 'category', 'region'));
    const parked = run([text('status')], { session: before });
    const v2 = without(complaint, ['title'], 'v2-no-title');
    const tracking = generateTrackingNumber(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const r = run([text(tracking)], { session: parked.session, catalog: catalogWith(v2) });
    expect(r.effects).toEqual([{ kind: 'checkStatus', trackingId: tracking, lang: 'id' }]);
    expect(r.last.map((o) => o.text).slice(0, 2)).toEqual([t('id', 'resumeParked'), t('id', 'flowChanged')]);
    expectAsks(r.last[2], 'body');
    expect(r.session).toMatchObject({ flowId: 'complaint', flowVersion: 'v2-no-title', stepId: 'body' });
  });

  it('the whole flow is gone: told, and the menu shown', () => {
    const only: FlowCatalog = { flows: new Map([['status', status]]) };
    const r = run([text(TITLE)], { session: sessionAt('title', storedFor('type')), catalog: only });
    expect(r.last[0]?.text).toBe(t('id', 'flowGone'));
    expect(r.last[1]?.choices?.map((c) => c.payload)).toEqual(['~menu|status', '~g|help', '~g|language']);
    expect(r.session).toMatchObject({ flowId: null, stepId: null, answers: {} });
  });
});

// ── No replay ──────────────────────────────────────────────────────────────────────────────────

describe('no replay: the session holds the step, history is not re-run', () => {
  const inbounds: [string, Inbound][] = [
    ['an answer', place(-7.75, 110.41)],
    ['a wrong answer', text('Jl')],
    ['skip', text('lewati')],
    ['help', text('bantuan')],
    ['start', { kind: 'start' }],
    ['a stale button', press('type|aspirasi')],
  ];

  it.each(inbounds)('%s at `location`: built directly = reached by answering', (_, inbound) => {
    const reached = reportTo('location').session;
    const built = sessionAt(
      'location',
      storedFor('type', 'category', 'region', 'title', 'body', 'incident_date'),
      {
        history: reached.history,
      },
    );
    expect(built).toEqual(reached);
    const a = turn(catalog, reached, inbound, ctx);
    const b = turn(catalog, built, inbound, ctx);
    expect(b).toEqual(a);
  });

  it.each(inbounds)('%s at `location`: the same outcome whatever the history says', (_, inbound) => {
    const answers = storedFor('type', 'category', 'region', 'title', 'body', 'incident_date');
    const plain = turn(catalog, sessionAt('location', answers, { history: [] }), inbound, ctx);
    const noisy = turn(
      catalog,
      sessionAt('location', answers, { history: Array.from({ length: 5000 }, (_, i) => `ghost_${i}`) }),
      inbound,
      ctx,
    );
    expect(noisy.outbound).toEqual(plain.outbound);
    expect(noisy.effects).toEqual(plain.effects);
    expect({ ...noisy.session, history: [] }).toEqual({ ...plain.session, history: [] });
  });

  it('a session built at the confirm step submits the same report as one answered step by step', () => {
    const answered = run([press('confirm|send')], { session: reportTo('confirm').session });
    const built = run([press('confirm|send')], { session: sessionAt('confirm', STORED, { history: [] }) });
    expect(built.effects).toEqual(answered.effects);
    expect(built.outbound).toEqual(answered.outbound);
  });

  it('the answers decide the path, not the order they were given in', () => {
    const backwards = Object.fromEntries(Object.entries(STORED).reverse());
    const r = run([press('confirm|send')], { session: sessionAt('confirm', backwards) });
    expect(Object.keys(onlySubmission(r.effects).answers)).toEqual(Object.keys(STORED));
  });
});

// ── Purity ─────────────────────────────────────────────────────────────────────────────────────

describe('purity: turn never changes the session it is given', () => {
  const tracking = generateTrackingNumber(new Uint8Array([3, 1, 4, 1, 5, 9, 2, 6]));
  const states: [string, () => Session][] = [
    ['a new chat', () => newSession(ctx.now)],
    ['at type', () => reportTo('type').session],
    ['at title', () => reportTo('title').session],
    ['at attachments with a file', () => run([file()], { session: reportTo('attachments').session }).session],
    ['at the summary', () => reportTo('confirm').session],
    [
      'picking an answer to change',
      () => run([press('confirm|edit')], { session: reportTo('confirm').session }).session,
    ],
    ['stuck', () => run([text('x'), text('x'), text('x')], { session: reportTo('title').session }).session],
    [
      'checking a status mid-report',
      () => run([text('status')], { session: reportTo('body').session }).session,
    ],
    ['choosing a language', () => run([text('bahasa')], { session: reportTo('body').session }).session],
  ];
  const inbounds: Inbound[] = [
    { kind: 'start' },
    { kind: 'start', payload: 'lapor' },
    text('lapor'),
    text(TITLE),
    text('x'),
    text('kemarin'),
    text(tracking),
    text('English'),
    press('confirm|send'),
    press('confirm|edit'),
    press('~edit|title'),
    press('~stuck|help'),
    press('type|aspirasi'),
    place(-7.7, 110.4),
    file(),
    text('selesai'),
    ...['batal', 'kembali', 'lewati', 'bantuan', 'bahasa', 'status'].map(text),
    ...(REPLY.title ? [REPLY.title] : []),
  ];

  for (const [name, make] of states) {
    it(`${name}: every kind of inbound leaves the frozen input as it was`, () => {
      for (const inbound of inbounds) {
        const session = make();
        const json = JSON.stringify(session);
        deepFreeze(session);
        deepFreeze(inbound);
        expect(() => turn(catalog, session, inbound, ctx), JSON.stringify(inbound)).not.toThrow();
        expect(JSON.stringify(session)).toBe(json);
      }
    });
  }

  it('the same input gives the same output (no hidden state between turns)', () => {
    const session = deepFreeze(reportTo('confirm').session);
    const a = turn(catalog, session, press('confirm|send'), ctx);
    const b = turn(catalog, session, press('confirm|send'), ctx);
    expect(b).toEqual(a);
    expect(a.effects).toHaveLength(1);
  });

  it('time comes from ctx only: lastActivityAt is ctx.now, and the reminder flag is cleared', () => {
    const later = { ...ctx, now: new Date('2026-11-26T01:00:00Z') };
    const session = deepFreeze({ ...reportTo('title').session, reminded: true });
    const r = turn(catalog, session, text('x'), later);
    expect(r.session.lastActivityAt).toBe(later.now.getTime());
    expect(r.session.reminded).toBe(false);
    // "hari ini" is the 26th for this turn's clock, whatever the machine's clock says.
    const dated = turn(catalog, deepFreeze(reportTo('incident_date').session), text('hari ini'), later);
    expect(dated.session.answers.incident_date).toEqual({ kind: 'date', value: '2026-11-26' });
  });

  it('the deep freeze does catch a write (the check above can fail)', () => {
    const s = deepFreeze(newSession(ctx.now));
    expect(() => {
      (s.answers as Record<string, unknown>).x = 1;
    }).toThrow(TypeError);
    expect(() => {
      s.history.push('x');
    }).toThrow(TypeError);
  });
});

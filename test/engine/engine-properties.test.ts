import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FlowCatalog, newSession, turn } from '../../src/engine/engine.ts';
import type { Answer, Inbound, Session, Submission, TurnResult } from '../../src/engine/types.ts';
import { catalog, complaint, ctxWith, REPLY, reportTo } from './engine-harness.ts';

/**
 * Property-based: hostile input never breaks the engine. A random conversation is a list of
 * actions; some press a button the bot just offered (so runs get deep into the flow), the rest are
 * hostile: emoji, right-to-left text, zero-width and control characters, 1 MB strings, made-up
 * button payloads, payloads for steps that do not exist, odd locations and files.
 */

const MEGABYTE = 'ب'.repeat(300_000) + '👨‍👩‍👧'.repeat(50_000) + 'a'.repeat(400_000);

/** Pieces citizens (and attackers) type: global words, answers, and characters that break naive code. */
const piece = fc.oneof(
  fc.constantFrom(
    'lapor',
    'batal',
    'kembali',
    'lewati',
    'bantuan',
    'bahasa',
    'status',
    'kirim',
    'ya',
    'tidak',
    '1',
    '2',
    '99',
    'kemarin',
    'sleman',
    'selesai',
    'ubah',
    'balas ADU-7KQ2-M9XF tambahan',
    '\u200b\u200c\u200d\u2060\ufeff',
    '\u202e\u202d\u2066',
    'مرحبا بالعالم',
    'שלום',
    '🇮🇩👍🏽👨‍👩‍👧',
    '\u0000\u0007\u001b[31m\r\n\t',
    '<script>alert(1)</script>',
    '\ud800',
    '',
  ),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const hostileText = fc.oneof(
  { weight: 10, arbitrary: fc.array(piece, { maxLength: 4 }).map((parts) => parts.join(' ')) },
  { weight: 1, arbitrary: fc.constant(MEGABYTE) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 900, maxLength: 1200 }) },
);
const stepIds = [...complaint.stepsById.keys()];
const payload = fc.oneof(
  fc.string({ maxLength: 130 }),
  fc
    .tuple(fc.constantFrom(...stepIds, 'gone_step', 'menu', 'global', ''), fc.string({ maxLength: 30 }))
    .map(([step, value]) => `${step}|${value}`),
  fc.constantFrom('confirm|send', 'attachments|done', 'global|cancel', 'menu|lapor', '|', '||||'),
);
/** Mostly on the map (so shared locations get stored), sometimes anything at all (NaN, ±Infinity). */
const coordinate = fc.oneof(fc.double({ min: -90, max: 90, noNaN: true }), fc.double());
const hostile: fc.Arbitrary<Inbound> = fc.oneof(
  { weight: 6, arbitrary: hostileText.map((text): Inbound => ({ kind: 'text', text })) },
  { weight: 3, arbitrary: payload.map((p): Inbound => ({ kind: 'choice', payload: p })) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        latitude: coordinate,
        longitude: coordinate,
        address: fc.option(fc.oneof(hostileText, fc.string({ minLength: 490, maxLength: 2000 })), {
          nil: undefined,
        }),
      })
      .map(({ address, ...at }): Inbound => ({ kind: 'location', ...at, ...(address ? { address } : {}) })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        ref: fc.string({ maxLength: 80 }),
        mimeType: fc.constantFrom('image/jpeg', 'image/png', 'application/pdf', 'text/html', 'IMAGE/PNG', ''),
        size: fc.option(fc.integer({ min: -1, max: 50 * 1024 * 1024 }), { nil: undefined }),
      })
      .map(
        ({ size, ...media }): Inbound => ({
          kind: 'media',
          media: size === undefined ? media : { ...media, size },
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 30 }).map((phone): Inbound => ({ kind: 'contact', phone })),
  },
  {
    weight: 1,
    arbitrary: fc
      .option(fc.string({ maxLength: 30 }), { nil: undefined })
      .map((p): Inbound => (p === undefined ? { kind: 'start' } : { kind: 'start', payload: p })),
  },
);
/** Either press one of the buttons the bot showed last (by position), or send something hostile. */
type Action = { press: number } | { send: Inbound };
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 2, arbitrary: fc.nat(20).map((press) => ({ press })) },
  { weight: 3, arbitrary: hostile.map((send) => ({ send })) },
);

/** Where a conversation starts: fresh, mid-report, or on a step an edited flow no longer has. */
const startingPoint = fc.constantFrom<() => Session>(
  () => newSession(new Date('2026-11-25T03:00:00Z')),
  ...['type', 'category', 'region', 'title', 'body', 'incident_date', 'location', 'attachments']
    .concat(['anonymous', 'confidential', 'confirm'])
    .map((step) => () => reportTo(step).session),
  () => ({ ...reportTo('body').session, stepId: 'gone_step', flowVersion: 'an-older-version' }),
  () => ({ ...reportTo('body').session, flowId: 'a_flow_that_was_deleted' }),
);

/** Fails with a reason when an answer is over a limit of its step. */
function checkLimits(answers: Record<string, Answer>): void {
  for (const [stepId, answer] of Object.entries(answers)) {
    const step = complaint.stepsById.get(stepId);
    if (!step) continue;
    if (answer.kind === 'text' && step.kind === 'text') {
      const chars = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(answer.value)]
        .length;
      expect(chars, `${stepId} longer than max_length`).toBeLessThanOrEqual(step.max_length);
    }
    if (answer.kind === 'media' && step.kind === 'media') {
      expect(answer.value.length, `${stepId} over max_files`).toBeLessThanOrEqual(step.max_files);
      for (const file of answer.value) {
        expect(file.size ?? 0, `${stepId} file over max_bytes`).toBeLessThanOrEqual(step.max_bytes);
        expect(step.mime_types).toContain(file.mimeType.toLowerCase());
      }
    }
    if (answer.kind === 'location') {
      expect([...(answer.value.address ?? '')].length, `${stepId} address over 500`).toBeLessThanOrEqual(500);
      for (const n of [answer.value.latitude, answer.value.longitude])
        if (n !== undefined) expect(Number.isFinite(n)).toBe(true);
    }
  }
}

/** Plays actions from a session; checks every turn; returns the submissions made. */
function play(start: Session, actions: Action[], cat: FlowCatalog = catalog): Submission[] {
  let session = start;
  let last: TurnResult | undefined;
  const submitted: Submission[] = [];
  actions.forEach((a, i) => {
    let inbound: Inbound;
    if ('press' in a) {
      const choices = last?.outbound.flatMap((o) => o.choices ?? []) ?? [];
      const choice = choices[a.press % Math.max(choices.length, 1)];
      inbound = choice ? { kind: 'choice', payload: choice.payload } : { kind: 'text', text: 'lapor' };
    } else inbound = a.send;
    last = turn(cat, session, inbound, ctxWith(`draft${String(i).padStart(4, '0')}`));
    session = last.session;
    // Every turn answers something, and the session stays data that survives Redis.
    expect(last.outbound.length).toBeGreaterThan(0);
    // (−0 becomes 0 on the way, the same place; NaN and Infinity are caught by checkLimits.)
    const json = JSON.stringify(session);
    expect(JSON.stringify(JSON.parse(json))).toBe(json);
    checkLimits(session.answers);
    for (const effect of last.effects) if (effect.kind === 'submit') submitted.push(effect.submission);
  });
  return submitted;
}

describe('the engine under hostile input (fast-check)', () => {
  it('answers a 1 MB message of emoji and right-to-left text at a text step (it used to hang)', () => {
    // Intl.Segmenter slowed down faster than the text grew: this turn took minutes before the fix.
    const result = turn(catalog, reportTo('title').session, { kind: 'text', text: MEGABYTE }, ctxWith('x'));
    expect(result.session.stepId).toBe('title');
    expect(result.session.answers.title).toBeUndefined();
    expect(result.outbound[0]?.text).toMatch(/persingkat/);
  });

  it('never throws, always answers, and never stores more than a step allows', () => {
    fc.assert(
      fc.property(startingPoint, fc.array(action, { maxLength: 40 }), (from, actions) => {
        const submitted = play(from(), actions);
        for (const s of submitted) checkLimits(s.answers);
        // One submission per draft, whatever was pressed or typed in between.
        expect(new Set(submitted.map((s) => s.submissionId)).size).toBe(submitted.length);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps to the limits at every step, whatever one message says', () => {
    fc.assert(
      fc.property(startingPoint, hostile, (from, inbound) => {
        play(from(), [{ send: inbound }]);
      }),
      { numRuns: 1000 },
    );
  });

  it('puts a confirmed report in the effects exactly once, whatever comes after it', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 30 }), (after) => {
        const sent = reportTo('end');
        const submits = sent.effects.filter((e) => e.kind === 'submit');
        expect(submits).toHaveLength(1);
        const id = submits[0]?.kind === 'submit' ? submits[0].submission.submissionId : '';
        // Press "Kirim" again (the old button, and typed), then anything at all.
        const again: Action[] = [
          { send: REPLY.confirm as Inbound },
          { send: { kind: 'text', text: 'kirim' } },
        ];
        const later = play(sent.session, [...again, ...after]);
        expect(later.map((s) => s.submissionId)).not.toContain(id);
      }),
      { numRuns: 200 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { newSession } from '../../src/engine/engine.ts';
import { t } from '../../src/engine/messages.ts';
import type { Lang, Outbound, Session } from '../../src/engine/types.ts';
import { ctx, expectAsks, expectMenu, press, reportTo, run, text } from './engine-harness.ts';

// The citizen's own deletion request (UU PDP): a global word, a question with two buttons, and an
// effect for the caller only once they say yes.

function reportAt(stepId: string, lang: Lang): Session {
  return reportTo(stepId, { session: newSession(ctx.now, lang) }).session;
}

const inboundOf = (word: string) => (word.startsWith('~') ? press(word) : text(word));

function expectForgetQuestion(message: Outbound | undefined, lang: Lang) {
  expect(message?.text).toBe(t(lang, 'forgetAsk'));
  expect(message?.choices).toEqual([
    { payload: '~forget|yes', label: t(lang, 'forgetYes') },
    { payload: '~forget|no', label: t(lang, 'forgetNo') },
  ]);
}

const WORDS: [string, Lang][] = [
  ['hapus data', 'id'],
  ['Hapus data saya', 'id'],
  ['hapus data saya!', 'id'],
  ['/hapus', 'id'],
  ['delete my data', 'en'],
  ['Delete my data.', 'en'],
  ['/delete', 'en'],
  ['~g|forget', 'id'],
];

describe('hapus data / delete my data', () => {
  it.each(WORDS)('%s (%s) mid-report: asks first, the draft untouched, nothing carried out', (word, lang) => {
    const before = reportAt('incident_date', lang);
    const r = run([inboundOf(word)], { session: before });
    expect(r.last).toHaveLength(1);
    expectForgetQuestion(r.last[0], lang);
    expect(r.effects).toEqual([]);
    expect(r.session).toEqual({ ...before, overlay: 'forget', lastActivityAt: ctx.now.getTime() });
  });

  it.each(WORDS)('%s (%s) with no report in progress: asks first', (word, lang) => {
    const r = run([inboundOf(word)], { session: newSession(ctx.now, lang) });
    expect(r.last).toHaveLength(1);
    expectForgetQuestion(r.last[0], lang);
    expect(r.effects).toEqual([]);
    expect(r.session.overlay).toBe('forget');
  });

  it('is a word only as the whole message: inside a description it is an answer', () => {
    const before = reportAt('title', 'id');
    const r = run([text('mohon hapus data ganda di kelurahan')], { session: before });
    expect(r.effects).toEqual([]);
    expect(r.session.overlay).toBeNull();
    expect(r.session.answers.title).toEqual({ kind: 'text', value: 'mohon hapus data ganda di kelurahan' });
  });

  it.each([
    ['~forget|no', 'id'],
    ['Tidak, kembali', 'id'],
    ['tidak', 'id'],
    ['No, go back', 'en'],
    ['no', 'en'],
  ] as [string, Lang][])('"%s" (%s) returns to the same question with the draft intact', (answer, lang) => {
    const before = reportAt('incident_date', lang);
    const r = run([text(lang === 'id' ? 'hapus data' : 'delete my data'), inboundOf(answer)], {
      session: before,
    });
    expect(r.effects).toEqual([]);
    expect(r.last[0]?.text).toBe(t(lang, 'forgetKept'));
    expectAsks(r.last[1], 'incident_date', lang);
    expect(r.session).toEqual({ ...before, lastActivityAt: ctx.now.getTime() });
  });

  it('"Tidak" with no report in progress shows the menu', () => {
    const r = run([text('hapus data'), press('~forget|no')]);
    expect(r.last[0]?.text).toBe(t('id', 'forgetKept'));
    expectMenu(r.last[1]);
    expect(r.effects).toEqual([]);
  });

  it.each([
    ['~forget|yes', 'id'],
    ['Ya, hapus data saya', 'id'],
    ['ya', 'id'],
    ['Yes, delete my data', 'en'],
    ['~forget|yes', 'en'],
  ] as [string, Lang][])('"%s" (%s) asks the caller to delete, and says nothing itself', (answer, lang) => {
    const before = reportAt('body', lang);
    const r = run([text('hapus data'), inboundOf(answer)], { session: before });
    expect(r.turns[1]?.effects).toEqual([{ kind: 'forget', lang }]);
    expect(r.last).toEqual([]);
    expect(r.session.overlay).toBeNull();
  });

  it('anything else drops the question and goes to the step: no deletion on a near match', () => {
    const before = reportAt('title', 'id');
    const r = run([text('hapus data'), text('Jalan rusak di depan pasar desa')], { session: before });
    expect(r.effects).toEqual([]);
    expect(r.session.overlay).toBeNull();
    expect(r.session.answers.title).toEqual({ kind: 'text', value: 'Jalan rusak di depan pasar desa' });
  });

  it('a "Ya" button pressed after the question was dropped is stale and deletes nothing', () => {
    const before = reportAt('title', 'id');
    const r = run([text('hapus data'), text('bantuan'), press('~forget|yes')], { session: before });
    expect(r.effects).toEqual([]);
    expect(r.last[0]?.text).toBe(t('id', 'staleButton'));
  });

  it('speaks as a courteous public servant, and explains what stays', () => {
    for (const key of ['forgetAsk', 'forgetKept', 'forgetDone', 'forgetInFlight', 'forgetFailed'] as const)
      expect(t('id', key)).toContain('Bapak/Ibu');
    expect(t('id', 'forgetAsk')).toMatch(/draf/);
    expect(t('id', 'forgetAsk')).toMatch(/tetap kami simpan/);
    expect(t('en', 'forgetAsk')).toMatch(/stay with the agency/);
    expect(t('id', 'generalHelp')).toContain('*hapus data*');
    expect(t('en', 'generalHelp')).toContain('*delete my data*');
  });
});

import { describe, expect, it } from 'vitest';
import { walkPath } from '../../src/engine/engine.ts';
import {
  complaint,
  expectAsks,
  onlySubmission,
  press,
  type ReportType,
  reportTo,
  run,
  STORED,
  text,
} from './engine-harness.ts';

// complaint.yaml branches after `body` on the report type. Each row: the type, the steps asked after
// `type`, in order, and the answers the submission carries.

const COMMON_HEAD = ['category', 'region', 'title', 'body'];
const COMMON_TAIL = ['anonymous', 'confidential', 'confirm'];

const paths: [ReportType, string[]][] = [
  ['pengaduan', [...COMMON_HEAD, 'incident_date', 'location', 'attachments', ...COMMON_TAIL]],
  ['aspirasi', [...COMMON_HEAD, 'location', 'attachments', ...COMMON_TAIL]],
  ['permintaan_informasi', [...COMMON_HEAD, 'attachments', ...COMMON_TAIL]],
];

describe('each report type follows its own path', () => {
  it.each(paths)('%s asks %j', (type, expected) => {
    const r = reportTo('end', { type });
    // The first turn ("lapor") asks `type`; then one step per answer, and `null` once submitted.
    expect(r.steps).toEqual(['type', ...expected, null]);
    const submission = onlySubmission(r.effects);
    expect(Object.keys(submission.answers).sort()).toEqual(
      ['type', ...expected.filter((s) => s !== 'confirm')].sort(),
    );
    expect(submission.answers.type).toEqual({ kind: 'choice', value: type });
  });

  it.each(paths)('the summary of %s lists exactly its own steps', (type, expected) => {
    const summary = reportTo('confirm', { type }).last[0]?.text ?? '';
    const labels = summary
      .split('\n')
      .filter((line) => line.startsWith('*'))
      .map((line) => line.slice(1, line.indexOf('*:')));
    const want = ['type', ...expected.filter((s) => s !== 'confirm')].map(
      (id) => complaint.stepsById.get(id)?.summary_label?.id,
    );
    expect(labels).toEqual(want);
  });
});

describe('changing the type from the summary changes the path', () => {
  it('pengaduan → aspirasi: back at the summary, no incident date shown or submitted', () => {
    const r = reportTo('confirm', { type: 'pengaduan' });
    expect(r.session.answers.incident_date).toEqual(STORED.incident_date);
    const changed = run([press('confirm|edit'), press('~edit|type'), press('type|aspirasi')], {
      session: r.session,
    });
    expect(changed.steps).toEqual(['confirm', 'type', 'confirm']);
    expect(changed.last[0]?.text).toContain('*Jenis laporan*: Aspirasi');
    expect(changed.last[0]?.text).not.toContain('Tanggal kejadian');

    const sent = run([press('confirm|send')], { session: changed.session });
    const submission = onlySubmission(sent.effects);
    expect(submission.answers).not.toHaveProperty('incident_date');
    const { incident_date: _dropped, ...rest } = STORED;
    expect(submission.answers).toEqual({ ...rest, type: { kind: 'choice', value: 'aspirasi' } });
  });

  it('aspirasi → pengaduan: the date it never asked is asked now, then straight back to the summary', () => {
    const r = reportTo('confirm', { type: 'aspirasi' });
    expect(r.session.answers).not.toHaveProperty('incident_date');
    const changed = run([press('confirm|edit'), press('~edit|type'), text('pengaduan')], {
      session: r.session,
    });
    expect(changed.session.stepId).toBe('incident_date');
    expectAsks(changed.last[0], 'incident_date');

    const dated = run([text('kemarin')], { session: changed.session });
    expect(dated.session.stepId).toBe('confirm');
    expect(dated.last[0]?.text).toContain('*Tanggal kejadian*: 24 November 2026');
    expect(onlySubmission(run([press('confirm|send')], { session: dated.session }).effects).answers).toEqual(
      STORED,
    );
  });

  it('permintaan_informasi → pengaduan: date and location are both asked before the summary', () => {
    const r = reportTo('confirm', { type: 'permintaan_informasi' });
    const changed = run(
      [press('confirm|edit'), press('~edit|type'), press('type|pengaduan'), text('hari ini'), text('lewati')],
      { session: r.session },
    );
    expect(changed.steps).toEqual(['confirm', 'type', 'incident_date', 'location', 'confirm']);
    const submission = onlySubmission(run([text('kirim')], { session: changed.session }).effects);
    expect(submission.answers.incident_date).toEqual({ kind: 'date', value: '2026-11-25' });
    expect(submission.answers.location).toEqual({ kind: 'skipped' });
  });
});

describe('walkPath: the path is a function of the answers', () => {
  const rows: [string, ReportType, string[]][] = [
    ['pengaduan', 'pengaduan', ['incident_date', 'location']],
    ['aspirasi', 'aspirasi', ['location']],
    ['permintaan_informasi', 'permintaan_informasi', []],
  ];
  it.each(rows)('%s: every step answered: the whole path, open at the confirm step', (_, type, middle) => {
    const answers = { ...STORED, type: { kind: 'choice' as const, value: type } };
    const { path, open } = walkPath(complaint, answers);
    expect(path).toEqual([
      'type',
      ...COMMON_HEAD,
      ...middle,
      'attachments',
      'anonymous',
      'confidential',
      'confirm',
    ]);
    // The confirm step is never answered, so it is the open one.
    expect(open).toBe('confirm');
  });
});

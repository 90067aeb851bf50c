import type { Flow } from '../flows/flow.ts';
import type { Step } from '../flows/schema.ts';
import { choicePayload } from './answer-step.ts';
import { GLOBAL_PAYLOAD } from './global-words.ts';
import { t } from './messages.ts';
import { formatLocalDate } from './parse-date.ts';
import type { Answer, Choice, Lang, Outbound } from './types.ts';

/** Longest excerpt of a free-text answer shown in a summary or a "previous answer" line. */
const EXCERPT = 280;

function excerpt(text: string): string {
  const chars = [...text];
  return chars.length <= EXCERPT ? text : `${chars.slice(0, EXCERPT).join('')}…`;
}

/** How an answer reads back to the citizen ("Pengaduan", "12 November 2026", "2 berkas"). */
export function describeAnswer(step: Step, answer: Answer, lang: Lang): string {
  switch (answer.kind) {
    case 'skipped':
      return t(lang, 'skipped');
    case 'choice': {
      const option = step.kind === 'choice' ? step.options?.find((o) => o.value === answer.value) : undefined;
      return option ? option.label[lang] : answer.value;
    }
    case 'text':
      return excerpt(answer.value);
    case 'date':
      return formatLocalDate(answer.value, lang);
    case 'location': {
      const { address, latitude, longitude } = answer.value;
      if (address) return excerpt(address);
      return `${latitude?.toFixed(5)}, ${longitude?.toFixed(5)}`;
    }
    case 'media':
      return t(lang, 'files', { n: answer.value.length });
  }
}

/**
 * The message that asks `step`. `answers` supplies a previous answer (after `kembali`) and,
 * for the confirm step, the summary; `path` is the steps on the way taken, in order.
 */
export function renderStep(
  flow: Flow,
  step: Step,
  answers: Record<string, Answer>,
  path: readonly string[],
  lang: Lang,
): Outbound {
  if (step.kind === 'confirm') return renderSummary(flow, step, answers, path, lang);
  const lines = [step.prompt[lang]];
  const previous = answers[step.id];
  if (previous && !(step.kind === 'media' && previous.kind === 'media')) {
    lines.push(t(lang, 'previousAnswer', { answer: describeAnswer(step, previous, lang) }));
  }
  if (step.kind === 'date') lines.push(t(lang, 'dateExamples'));
  const choices: Choice[] = [];
  if (step.kind === 'choice') {
    for (const option of step.options ?? [])
      choices.push({ payload: choicePayload(step.id, option.value), label: option.label[lang] });
  }
  if (step.kind === 'media')
    choices.push({ payload: choicePayload(step.id, 'done'), label: t(lang, 'mediaDone') });
  if (step.optional && step.kind !== 'media') {
    lines.push(t(lang, 'skipHint'));
    choices.push({ payload: GLOBAL_PAYLOAD.skip, label: t(lang, 'skipButton') });
  }
  const out: Outbound = { text: lines.join('\n') };
  if (choices.length > 0) out.choices = choices;
  if (step.kind === 'location') out.requestLocation = true;
  return out;
}

function renderSummary(
  flow: Flow,
  step: Step,
  answers: Record<string, Answer>,
  path: readonly string[],
  lang: Lang,
): Outbound {
  const lines = [step.prompt[lang] || t(lang, 'summaryIntro'), ''];
  for (const id of path) {
    const s = flow.stepsById.get(id);
    const answer = answers[id];
    if (!s || !answer || s.kind === 'confirm') continue;
    const label = s.summary_label?.[lang] ?? s.id;
    lines.push(`*${label}*: ${describeAnswer(s, answer, lang)}`);
  }
  lines.push('', t(lang, 'summaryAsk'));
  return {
    text: lines.join('\n'),
    choices: [
      { payload: choicePayload(step.id, 'send'), label: t(lang, 'confirmSend') },
      { payload: choicePayload(step.id, 'edit'), label: t(lang, 'confirmEdit') },
      { payload: choicePayload(step.id, 'cancel'), label: t(lang, 'confirmCancel') },
    ],
  };
}

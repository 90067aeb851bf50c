import type { Answer, Lang, Submission } from '../../src/engine/types.ts';
import type { TicketJob } from '../../src/queue/queues.ts';

/**
 * A confirmed report as the engine hands it to the queue: a pengaduan about a puskesmas in Bantul
 * unless `answers` says otherwise.
 */
export function submissionFixture(
  id: string,
  answers: Record<string, Answer> = {},
  lang: Lang = 'id',
): Submission {
  return {
    submissionId: `sub_${id}`,
    flowId: 'complaint',
    flowVersion: 'test',
    lang,
    submittedAt: new Date().toISOString(),
    answers: {
      type: { kind: 'choice', value: 'pengaduan' },
      category: { kind: 'choice', value: 'kesehatan' },
      region: { kind: 'choice', value: 'bantul' },
      title: { kind: 'text', value: 'Antrean puskesmas sangat panjang' },
      body: {
        kind: 'text',
        value: 'Antrean di puskesmas sejak jam tujuh pagi dan loket baru buka jam sembilan.',
      },
      anonymous: { kind: 'choice', value: 'no' },
      confidential: { kind: 'choice', value: 'no' },
      ...answers,
    },
  };
}

/** A `tickets` job for `submissionFixture(id, answers)`, from a reporter on `channel`. */
export function ticketJobFixture(
  id: string,
  options: { channel?: string; chatId?: string; lang?: Lang; answers?: Record<string, Answer> } = {},
): TicketJob {
  const lang = options.lang ?? 'id';
  return {
    submission: submissionFixture(id, options.answers, lang),
    reporter: { channel: options.channel ?? 'web', chatId: options.chatId ?? `chat-${id}`, lang },
  };
}

import type { Flow } from '../flows/flow.ts';
import { nextStepId } from '../flows/next-step.ts';
import type { Step } from '../flows/schema.ts';
import { answerStep, choicePayload, parsePayload } from './answer-step.ts';
import { followUpOf } from './follow-up.ts';
import { GLOBAL_PAYLOAD, type GlobalWord, globalWordOf } from './global-words.ts';
import { matchChoice, normalizeWord } from './match-choice.ts';
import { t } from './messages.ts';
import { renderStep } from './prompt.ts';
import type {
  Answer,
  Inbound,
  Lang,
  Outbound,
  Session,
  Submission,
  TurnContext,
  TurnResult,
} from './types.ts';

/** The flows the engine may run, by id. */
export interface FlowCatalog {
  flows: ReadonlyMap<string, Flow>;
}

/** Wrong answers in a row after which the bot offers help or cancelling instead of asking again. */
/** The edit list's way back to the summary, unchanged (not a step id: those are YAML keys without "~"). */
const EDIT_BACK = '~summary';

export const MAX_WRONG = 3;

/** The part of a session that belongs to the flow in progress: what no flow looks like. */
const NO_FLOW = {
  flowId: null,
  flowVersion: null,
  stepId: null,
  draftId: null,
  answers: {},
  history: [],
  wrongCount: 0,
  editing: false,
  overlay: null,
} as const satisfies Partial<Session>;

/** A conversation nobody has started yet. */
export function newSession(now: Date, lang: Lang = 'id'): Session {
  return {
    lang,
    ...NO_FLOW,
    answers: {},
    history: [],
    parked: null,
    lastActivityAt: now.getTime(),
    reminded: false,
    submitted: [],
  };
}

/**
 * One turn of a conversation: `(flows, session, inbound, ctx) → (session', outbound[], effects[])`.
 *
 * Pure and synchronous: no I/O, no clock but `ctx.now`, and no replay — the session holds the
 * current step, so a turn at step 20 costs what a turn at step 1 does.
 *
 * @example
 * const { session, outbound, effects } = turn(catalog, newSession(now), { kind: 'text', text: 'lapor' }, ctx);
 */
export function turn(catalog: FlowCatalog, session: Session, inbound: Inbound, ctx: TurnContext): TurnResult {
  const turn = new Turn(catalog, { ...session, lastActivityAt: ctx.now.getTime(), reminded: false }, ctx);
  turn.handle(inbound);
  return { session: turn.s, outbound: turn.out, effects: turn.effects };
}

/** Steps on the way taken from the start, and the first one not answered yet (`end` when all are). */
export function walkPath(
  flow: Flow,
  answers: Record<string, Answer>,
): { path: string[]; open: string | 'end' } {
  const path: string[] = [];
  let id: string | 'end' = flow.start;
  // A flow is a DAG (checked at load), so this ends within steps.length; the bound is a second guard.
  for (let i = 0; id !== 'end' && i <= flow.steps.length; i++) {
    path.push(id);
    if (!(id in answers)) return { path, open: id };
    id = nextStepId(flow, id, answers);
  }
  return { path, open: 'end' };
}

/** Typed answers to the deletion question, normalised: the button labels, a number, a plain yes/no. */
const FORGET_YES = [t('id', 'forgetYes'), t('en', 'forgetYes'), 'ya', 'yes', '1'].map(normalizeWord);
const FORGET_NO = [t('id', 'forgetNo'), t('en', 'forgetNo'), 'tidak', 'no', 'tidak jadi', '2'].map(
  normalizeWord,
);

/** The state of one turn in progress. A class only to keep the many small steps readable. */
class Turn {
  readonly out: Outbound[] = [];
  readonly effects: TurnResult['effects'] = [];

  constructor(
    private readonly catalog: FlowCatalog,
    public s: Session,
    private readonly ctx: TurnContext,
  ) {}

  private say(key: Parameters<typeof t>[1], vars?: Record<string, string | number>): void {
    this.out.push({ text: t(this.s.lang, key, vars) });
  }

  private get flow(): Flow | undefined {
    return this.s.flowId ? this.catalog.flows.get(this.s.flowId) : undefined;
  }

  handle(inbound: Inbound): void {
    if (inbound.kind === 'start') return this.onStart(inbound.payload);
    const word = globalWordOf(inbound);
    if (word) return this.onGlobal(word);
    // A typed rating only counts outside a report in progress, where "3" would be an answer.
    const followUp = followUpOf(inbound, this.flow ? null : this.s.pendingRating, this.s.lang, !!this.flow);
    if (followUp === 'format') return this.say('followUpFormat');
    if (followUp) {
      // The caller checks the report is this chat's, carries it out and answers.
      if (followUp.kind !== 'addToReport') this.s = { ...this.s, pendingRating: null };
      this.effects.push(followUp);
      return;
    }
    // A typed rating counts only as the answer right after the ask: any other message ends the
    // ask, so a "1" typed later (say, to pick "Sampaikan laporan" from the menu) rates nothing.
    if (this.s.pendingRating) this.s = { ...this.s, pendingRating: null };
    if (this.s.overlay && this.onOverlay(inbound)) return;
    const flow = this.flow;
    if (!flow) {
      if (this.s.flowId) return this.flowGone();
      return this.onMenu(inbound);
    }
    const step = this.currentStep(flow);
    if (!step) return;
    this.onAnswer(flow, step, inbound);
  }

  // ── Menu and start ────────────────────────────────────────────────────────────────────────

  private menuFlows(): Flow[] {
    // Report flows first: making a report is why most people come.
    return [...this.catalog.flows.values()].sort(
      (a, b) => Number(a.onFinish !== 'submit') - Number(b.onFinish !== 'submit') || a.id.localeCompare(b.id),
    );
  }

  private showMenu(lead: 'welcome' | null = 'welcome'): void {
    const lang = this.s.lang;
    const choices = this.menuFlows().map((f) => ({ payload: `~menu|${f.id}`, label: f.title[lang] }));
    choices.push({ payload: GLOBAL_PAYLOAD.help, label: t(lang, 'menuHelp') });
    choices.push({ payload: GLOBAL_PAYLOAD.language, label: t(lang, 'menuLanguage') });
    this.out.push({ text: t(lang, lead ?? 'welcome'), choices });
  }

  private onStart(payload: string | undefined): void {
    // A fresh start answers no detour that was open (a language or help menu).
    this.s = { ...this.s, overlay: null };
    const wanted = payload ? this.flowByWord(payload) : undefined;
    // A status deep link mid-report parks the report, as the word "status" does, instead of dropping it.
    if (wanted && wanted.id !== this.s.flowId)
      return wanted.onFinish === 'check_status' ? this.checkStatus() : this.startFlow(wanted);
    const flow = this.flow;
    if (flow && this.s.stepId) {
      this.say('welcomeBack');
      return this.askCurrent(flow);
    }
    this.showMenu();
  }

  private flowByWord(word: string): Flow | undefined {
    const flows = this.menuFlows();
    const match = matchChoice(
      word,
      flows.map((f) => ({ value: f.id, labels: [f.title.id, f.title.en, ...f.triggers] })),
    );
    return match.kind === 'match' ? this.catalog.flows.get(match.value) : undefined;
  }

  private onMenu(inbound: Inbound): void {
    let flow: Flow | undefined;
    if (inbound.kind === 'choice' && inbound.payload.startsWith('~menu|'))
      flow = this.catalog.flows.get(inbound.payload.slice(6));
    else if (inbound.kind === 'text') flow = this.flowByWord(inbound.text);
    if (flow) return this.startFlow(flow);
    if (inbound.kind === 'choice') this.say('staleButton');
    this.showMenu();
  }

  private startFlow(flow: Flow): void {
    this.s = {
      ...this.s,
      flowId: flow.id,
      flowVersion: flow.version,
      stepId: null,
      draftId: this.ctx.newId,
      answers: {},
      history: [],
      wrongCount: 0,
      editing: false,
      overlay: null,
    };
    this.enter(flow, flow.start);
  }

  // ── Global words ──────────────────────────────────────────────────────────────────────────

  private onGlobal(word: GlobalWord): void {
    const overlay = this.s.overlay;
    this.s = { ...this.s, overlay: null };
    const flow = this.flow;
    switch (word) {
      case 'help':
        if (flow && this.s.stepId) {
          const step = flow.stepsById.get(this.s.stepId);
          this.out.push({ text: step?.help?.[this.s.lang] ?? t(this.s.lang, 'generalHelp') });
          if (step?.help) this.say('generalHelp');
          return this.askCurrent(flow);
        }
        this.say('generalHelp');
        return this.showMenu(null);
      case 'language':
        this.s = { ...this.s, overlay: 'language' };
        this.out.push({
          text: t(this.s.lang, 'chooseLanguage'),
          choices: [
            { payload: '~lang|id', label: 'Bahasa Indonesia' },
            { payload: '~lang|en', label: 'English' },
          ],
        });
        return;
      case 'cancel':
        return this.cancel();
      case 'back':
        if (!flow) return this.showMenu();
        // From the list of answers to change, "back" is the summary it came from.
        if (overlay === 'editPick') return this.askCurrent(flow);
        return this.back(flow);
      case 'skip':
        if (!flow) return this.showMenu();
        return this.skip(flow);
      case 'status':
        return this.checkStatus();
      case 'forget':
        return this.askForget();
    }
  }

  /** The citizen's deletion request: what goes and what stays, then yes or no (answered in `onOverlay`). */
  private askForget(): void {
    const lang = this.s.lang;
    this.s = { ...this.s, overlay: 'forget' };
    this.out.push({
      text: t(lang, 'forgetAsk'),
      choices: [
        { payload: '~forget|yes', label: t(lang, 'forgetYes') },
        { payload: '~forget|no', label: t(lang, 'forgetNo') },
      ],
    });
  }

  private cancel(): void {
    if (!this.s.flowId) {
      this.say('nothingToCancel');
      return this.showMenu(null);
    }
    // Cancelling a status check made mid-report deletes nothing: the parked report comes back, so
    // "your draft is deleted" would be untrue (and alarming).
    const detour = this.flow?.onFinish === 'check_status' && this.s.parked !== null;
    if (!detour) this.say('cancelled');
    this.clearFlow();
    if (!this.resumeParked()) this.showMenu(null);
  }

  private back(flow: Flow): void {
    const history = [...this.s.history];
    const previous = history.pop();
    if (!previous || !flow.stepsById.has(previous)) {
      this.say('firstQuestion');
      return this.askCurrent(flow);
    }
    this.s = { ...this.s, history, stepId: previous, wrongCount: 0, editing: false };
    this.askCurrent(flow);
  }

  private skip(flow: Flow): void {
    const step = this.currentStep(flow);
    if (!step) return;
    if (!step.optional) {
      this.say('notOptional');
      return this.askCurrent(flow);
    }
    // "lewati" after sending files means "no more files": the prompt offers it for that, and
    // throwing away what was just sent would be a nasty surprise at the summary.
    const collected = this.s.answers[step.id];
    if (step.kind === 'media' && collected?.kind === 'media' && collected.value.length > 0)
      return this.accept(flow, step, collected);
    this.accept(flow, step, { kind: 'skipped' });
  }

  private checkStatus(): void {
    const statusFlow = [...this.catalog.flows.values()].find((f) => f.onFinish === 'check_status');
    if (!statusFlow) return this.showMenu();
    const current = this.flow;
    if (current?.onFinish === 'check_status') return this.askCurrent(current);
    // Park an unfinished report so that checking a status never costs the citizen their draft.
    if (current && this.s.stepId && this.s.draftId && !this.s.parked) {
      this.s = {
        ...this.s,
        parked: {
          flowId: current.id,
          stepId: this.s.stepId,
          answers: this.s.answers,
          history: this.s.history,
          draftId: this.s.draftId,
        },
      };
    }
    this.startFlow(statusFlow);
  }

  // ── Overlays: short detours answered before the step itself ───────────────────────────────

  /** Handles an answer to an overlay; false when the message is not one, so the step gets it instead. */
  private onOverlay(inbound: Inbound): boolean {
    const overlay = this.s.overlay;
    const pick = (prefix: string, options: { value: string; labels: string[] }[]): string | null => {
      if (inbound.kind === 'choice')
        return inbound.payload.startsWith(prefix) ? inbound.payload.slice(prefix.length) : null;
      if (inbound.kind !== 'text') return null;
      const m = matchChoice(inbound.text, options);
      return m.kind === 'match' ? m.value : null;
    };
    this.s = { ...this.s, overlay: null };
    switch (overlay) {
      case 'language': {
        const lang = pick('~lang|', [
          { value: 'id', labels: ['Bahasa Indonesia', 'Indonesia', 'Indonesian', 'id'] },
          { value: 'en', labels: ['English', 'Inggris', 'Bahasa Inggris', 'en'] },
        ]);
        if (lang !== 'id' && lang !== 'en') return false;
        this.s = { ...this.s, lang };
        this.say('languageSet');
        const flow = this.flow;
        if (flow && this.s.stepId) this.askCurrent(flow);
        else this.showMenu(null);
        return true;
      }
      case 'stuck': {
        const choice = pick('~stuck|', [
          { value: 'help', labels: [t('id', 'stuckHelp'), t('en', 'stuckHelp')] },
          { value: 'retry', labels: [t('id', 'stuckRetry'), t('en', 'stuckRetry')] },
          { value: 'cancel', labels: [t('id', 'stuckCancel'), t('en', 'stuckCancel')] },
        ]);
        const flow = this.flow;
        if (!choice || !flow) return false;
        if (choice === 'cancel') {
          // Deleting a draft needs the option's full label (or its button), never a near match: a
          // lone word like "laporan" is more likely an answer than a wish to cancel. Nor its number:
          // WhatsApp numbers only help and retry (cancel is the global word, shown apart), Telegram
          // and the web show buttons without numbers, so a "3" is an answer to the step (its third
          // option, say), not a request to throw the draft away.
          const typed = inbound.kind === 'text' ? normalizeWord(inbound.text) : '';
          const exact = [t('id', 'stuckCancel'), t('en', 'stuckCancel')].map(normalizeWord).includes(typed);
          if (!exact) {
            this.s = { ...this.s, overlay: 'stuck' };
            return false;
          }
          this.cancel();
          return true;
        }
        if (choice === 'help') {
          const help = this.s.stepId ? flow.stepsById.get(this.s.stepId)?.help : undefined;
          this.out.push({ text: help?.[this.s.lang] ?? t(this.s.lang, 'generalHelp') });
        }
        this.askCurrent(flow);
        return true;
      }
      case 'editPick': {
        const flow = this.flow;
        if (!flow) return false;
        const { path } = walkPath(flow, this.s.answers);
        const options = path
          .map((id) => flow.stepsById.get(id))
          .filter((s): s is Step => !!s && s.kind !== 'confirm')
          .map((s) => ({ value: s.id, labels: [s.summary_label?.id ?? s.id, s.summary_label?.en ?? s.id] }));
        const stepId = pick('~edit|', [
          ...options,
          {
            value: EDIT_BACK,
            labels: [t('id', 'editBack'), t('en', 'editBack'), 'ringkasan', 'summary', 'tidak jadi'],
          },
        ]);
        if (stepId === EDIT_BACK) {
          this.askCurrent(flow);
          return true;
        }
        if (!stepId || !flow.stepsById.has(stepId)) {
          this.s = { ...this.s, overlay: 'editPick' };
          this.askEditPick(flow);
          return true;
        }
        this.s = { ...this.s, stepId, editing: true, wrongCount: 0 };
        this.askCurrent(flow);
        return true;
      }
      case 'forget': {
        // Deleting data needs the option itself (its button, label, number or a plain yes), never a
        // near match; anything else goes on to the step, the question dropped.
        let choice: string | null = null;
        if (inbound.kind === 'choice')
          choice = inbound.payload.startsWith('~forget|') ? inbound.payload.slice(8) : null;
        else if (inbound.kind === 'text') {
          const typed = normalizeWord(inbound.text);
          if (FORGET_YES.includes(typed)) choice = 'yes';
          else if (FORGET_NO.includes(typed)) choice = 'no';
        }
        if (choice === 'yes') {
          // The caller deletes the data and then says whether it was done: nothing is said here, so
          // the citizen never reads "deleted" for a request that was refused.
          this.effects.push({ kind: 'forget', lang: this.s.lang });
          return true;
        }
        if (choice !== 'no') return false;
        this.say('forgetKept');
        const flow = this.flow;
        if (flow && this.s.stepId) this.askCurrent(flow);
        else this.showMenu(null);
        return true;
      }
      default:
        return false;
    }
  }

  private askEditPick(flow: Flow): void {
    const { path } = walkPath(flow, this.s.answers);
    const lang = this.s.lang;
    const choices = path
      .map((id) => flow.stepsById.get(id))
      .filter((s): s is Step => !!s && s.kind !== 'confirm' && s.id in this.s.answers)
      .map((s) => ({ payload: `~edit|${s.id}`, label: s.summary_label?.[lang] ?? s.id }));
    choices.push({ payload: `~edit|${EDIT_BACK}`, label: t(lang, 'editBack') });
    this.out.push({ text: t(lang, 'editPick'), choices });
  }

  // ── Steps ─────────────────────────────────────────────────────────────────────────────────

  /**
   * The step the session is at. When the flow file changed under a conversation and its step is
   * gone, the citizen is told and resumes at the nearest open step, every answer kept.
   */
  private currentStep(flow: Flow): Step | undefined {
    const step = this.s.stepId ? flow.stepsById.get(this.s.stepId) : undefined;
    if (step) {
      if (this.s.flowVersion !== flow.version) this.s = { ...this.s, flowVersion: flow.version };
      return step;
    }
    this.say('flowChanged');
    const { open } = walkPath(flow, this.s.answers);
    this.s = {
      ...this.s,
      flowVersion: flow.version,
      history: this.s.history.filter((id) => flow.stepsById.has(id)),
    };
    if (open === 'end') this.finish(flow);
    else this.enter(flow, open);
    return undefined;
  }

  private onAnswer(flow: Flow, step: Step, inbound: Inbound): void {
    if (step.kind === 'confirm') return this.onConfirm(flow, step, inbound);
    if (inbound.kind === 'media' && step.kind !== 'media') return this.onFileTooEarly(flow, step, inbound);
    const reply = answerStep(step, inbound, this.s.answers[step.id], this.s.lang, this.ctx);
    switch (reply.kind) {
      case 'answer':
        return this.accept(flow, step, reply.answer);
      case 'collect':
        this.s = { ...this.s, answers: { ...this.s.answers, [step.id]: reply.answer }, wrongCount: 0 };
        this.out.push({
          text: reply.ack,
          choices: [{ payload: choicePayload(step.id, 'done'), label: t(this.s.lang, 'mediaDone') }],
        });
        return;
      case 'stale':
        this.say('staleButton');
        return this.askCurrent(flow);
      case 'retry':
        return this.wrong(flow, reply.reason);
    }
  }

  /**
   * A photo or document where the question wants something else. Not a wrong answer: an album comes
   * as several messages (three photos would otherwise end in the help-or-cancel menu), and the citizen
   * has only offered more than was asked. A caption at a text question is the answer (a photo whose
   * caption describes the problem); the file itself is asked for at the files question, if one is
   * still ahead.
   */
  private onFileTooEarly(flow: Flow, step: Step, inbound: Extract<Inbound, { kind: 'media' }>): void {
    const lang = this.s.lang;
    const filesAhead = [...flow.stepsById.values()].some(
      (s) => s.kind === 'media' && !(s.id in this.s.answers),
    );
    const later = filesAhead ? t(lang, 'mediaLater') : null;
    const caption = inbound.caption?.trim();
    if (caption && step.kind === 'text') {
      if (later) this.out.push({ text: later });
      return this.onAnswer(flow, step, { kind: 'text', text: caption });
    }
    const reply = answerStep(step, inbound, this.s.answers[step.id], lang, this.ctx);
    const reason = reply.kind === 'retry' ? reply.reason : t(lang, 'textExpected');
    this.out.push({ text: later ? `${reason}\n${later}` : reason });
    this.askCurrent(flow);
  }

  private wrong(flow: Flow, reason: string): void {
    const wrongCount = this.s.wrongCount + 1;
    this.s = { ...this.s, wrongCount };
    if (wrongCount >= MAX_WRONG) {
      const lang = this.s.lang;
      this.s = { ...this.s, wrongCount: 0, overlay: 'stuck' };
      this.out.push({
        text: `${reason}\n\n${t(lang, 'stuck')}`,
        choices: [
          { payload: '~stuck|help', label: t(lang, 'stuckHelp') },
          { payload: '~stuck|retry', label: t(lang, 'stuckRetry') },
          { payload: GLOBAL_PAYLOAD.cancel, label: t(lang, 'stuckCancel') },
        ],
      });
      return;
    }
    this.out.push({ text: reason });
    this.askCurrent(flow);
  }

  private onConfirm(flow: Flow, step: Step, inbound: Inbound): void {
    let value: string | null = null;
    if (inbound.kind === 'choice') {
      const parsed = parsePayload(inbound.payload);
      if (!parsed || parsed.stepId !== step.id) {
        this.say('staleButton');
        return this.askCurrent(flow);
      }
      value = parsed.value;
    } else if (inbound.kind === 'text') {
      const m = matchChoice(inbound.text, [
        {
          value: 'send',
          labels: [
            t('id', 'confirmSend'),
            t('en', 'confirmSend'),
            'kirim',
            'ya',
            'yes',
            'benar',
            'send',
            'ok',
          ],
        },
        { value: 'edit', labels: [t('id', 'confirmEdit'), t('en', 'confirmEdit'), 'ubah', 'edit', 'change'] },
        { value: 'cancel', labels: [t('id', 'confirmCancel'), t('en', 'confirmCancel')] },
      ]);
      if (m.kind === 'match') value = m.value;
    }
    switch (value) {
      case 'send':
        return this.finish(flow);
      case 'edit':
        this.s = { ...this.s, overlay: 'editPick', wrongCount: 0 };
        return this.askEditPick(flow);
      case 'cancel':
        return this.cancel();
      default:
        return this.wrong(flow, t(this.s.lang, 'chooseOne'));
    }
  }

  /** Records an answer and moves on: to the next step, or back to the summary after a change. */
  private accept(flow: Flow, step: Step, answer: Answer): void {
    const answers = { ...this.s.answers, [step.id]: answer };
    const history =
      this.s.history[this.s.history.length - 1] === step.id ? this.s.history : [...this.s.history, step.id];
    this.s = { ...this.s, answers, history, wrongCount: 0 };
    // While editing from the summary, jump to the first step the (possibly new) path still needs.
    const next = this.s.editing ? walkPath(flow, answers).open : nextStepId(flow, step.id, answers);
    if (next === 'end') return this.finish(flow);
    this.enter(flow, next);
  }

  /** Makes `stepId` current and asks it; a choice with a single option answers itself. */
  private enter(flow: Flow, stepId: string): void {
    let id: string | 'end' = stepId;
    for (let guard = 0; id !== 'end' && guard <= flow.steps.length; guard++) {
      const step = flow.stepsById.get(id);
      if (!step) break;
      const only =
        step.kind === 'choice' && step.skip_if_single && step.options?.length === 1
          ? step.options[0]
          : undefined;
      if (!only) {
        this.s = { ...this.s, stepId: id, wrongCount: 0 };
        if (step.kind === 'confirm') this.s = { ...this.s, editing: false };
        return this.askCurrent(flow);
      }
      const answers: Record<string, Answer> = {
        ...this.s.answers,
        [id]: { kind: 'choice', value: only.value },
      };
      this.s = { ...this.s, answers };
      id = this.s.editing ? walkPath(flow, answers).open : nextStepId(flow, id, answers);
    }
    this.finish(flow);
  }

  private askCurrent(flow: Flow): void {
    const step = this.s.stepId ? flow.stepsById.get(this.s.stepId) : undefined;
    // The flow changed and the step is gone (reached via start, help or language, which do not answer
    // the step): say so and ask the nearest open step, rather than asking nothing at all.
    if (!step) {
      if (this.s.stepId) this.currentStep(flow);
      return;
    }
    const { path } = walkPath(flow, this.s.answers);
    this.out.push(renderStep(flow, step, this.s.answers, path, this.s.lang));
  }

  // ── Finishing ─────────────────────────────────────────────────────────────────────────────

  private finish(flow: Flow): void {
    const { path } = walkPath(flow, this.s.answers);
    const answers: Record<string, Answer> = {};
    for (const id of path) {
      const answer = this.s.answers[id];
      if (answer) answers[id] = answer;
    }
    if (flow.onFinish === 'submit') {
      const submission: Submission = {
        // Derived from the draft, not the moment: the same draft submitted twice is one submission.
        submissionId: `sub_${this.s.draftId ?? this.ctx.newId}`,
        flowId: flow.id,
        flowVersion: flow.version,
        lang: this.s.lang,
        answers,
        submittedAt: this.ctx.now.toISOString(),
      };
      this.effects.push({ kind: 'submit', submission });
      this.out.push({ text: flow.done[this.s.lang] });
      const submitted = [...this.s.submitted, submission.submissionId].slice(-20);
      this.clearFlow();
      this.s = { ...this.s, submitted };
      return;
    }
    const tracking = Object.values(answers).find((a) => a.kind === 'text');
    if (tracking?.kind === 'text')
      this.effects.push({ kind: 'checkStatus', trackingId: tracking.value, lang: this.s.lang });
    this.clearFlow();
    this.resumeParked();
  }

  private clearFlow(): void {
    this.s = { ...this.s, ...NO_FLOW, answers: {}, history: [] };
  }

  /** Brings back a report parked for a status check; false when there is none. */
  private resumeParked(): boolean {
    const parked = this.s.parked;
    this.s = { ...this.s, parked: null };
    const flow = parked ? this.catalog.flows.get(parked.flowId) : undefined;
    if (!parked || !flow) return false;
    this.s = {
      ...this.s,
      flowId: flow.id,
      flowVersion: flow.version,
      stepId: parked.stepId,
      draftId: parked.draftId,
      answers: parked.answers,
      history: parked.history,
    };
    this.say('resumeParked');
    const step = this.currentStep(flow);
    if (step) this.askCurrent(flow);
    return true;
  }

  private flowGone(): void {
    this.say('flowGone');
    this.clearFlow();
    this.showMenu(null);
  }
}

/** The idle reminder: the current question again, introduced as a gentle nudge. */
export function reminderFor(catalog: FlowCatalog, session: Session): Outbound[] {
  const flow = session.flowId ? catalog.flows.get(session.flowId) : undefined;
  const step = flow && session.stepId ? flow.stepsById.get(session.stepId) : undefined;
  if (!flow || !step) return [];
  const { path } = walkPath(flow, session.answers);
  return [{ text: t(session.lang, 'reminder') }, renderStep(flow, step, session.answers, path, session.lang)];
}

/** Said when an idle draft is deleted. */
export function expiryNotice(session: Session): Outbound[] {
  return session.flowId ? [{ text: t(session.lang, 'expired') }] : [];
}

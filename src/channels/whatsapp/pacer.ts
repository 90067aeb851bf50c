/** Spacing of outgoing messages; every figure in milliseconds. */
export interface PacingOptions {
  /** Least time between two messages to one chat. */
  perChatMs: number;
  /** Least time between any two messages of the number. */
  overallMs: number;
  /** Up to this much is added at random to each gap, so the rhythm does not look machine-made. */
  jitterMs: number;
  /** For tests: the clock, the waiting, the randomness. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

interface Job {
  chatId: string;
  run: () => Promise<unknown>;
  done: (error?: unknown) => void;
}

/**
 * A small send queue that spaces messages per chat and overall, with jitter, so that a burst of
 * status updates does not look like spam to WhatsApp. One message at a time; the next to go is the
 * first waiting message of the chat that may send soonest, so a chat that just got a message does
 * not hold up the others. Messages of one chat keep their order.
 *
 * @example await pacer.schedule('62812…@c.us', () => client.sendMessage('62812…@c.us', 'Halo'));
 */
export class Pacer {
  private readonly queue: Job[] = [];
  private readonly chatFreeAt = new Map<string, number>();
  private allFreeAt = 0;
  private running = false;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: PacingOptions) {
    for (const key of ['perChatMs', 'overallMs', 'jitterMs'] as const)
      if (!(options[key] >= 0)) throw new RangeError(`Pacer: ${key} must be 0 or more`);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** Messages waiting to go. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `send` when its turn comes; resolves or rejects with it. */
  schedule(chatId: string, send: () => Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ chatId, run: send, done: (error) => (error ? reject(error) : resolve()) });
      void this.pump();
    });
  }

  private readyAt(job: Job): number {
    return Math.max(this.allFreeAt, this.chatFreeAt.get(job.chatId) ?? 0);
  }

  /** The first waiting job of each chat; of those, the one that may go soonest (oldest on a tie). */
  private pickNext(): Job | undefined {
    const seen = new Set<string>();
    let best: Job | undefined;
    for (const job of this.queue) {
      if (seen.has(job.chatId)) continue;
      seen.add(job.chatId);
      if (!best || this.readyAt(job) < this.readyAt(best)) best = job;
    }
    return best;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.pickNext(); job; job = this.pickNext()) {
        const wait = this.readyAt(job) - this.now();
        if (wait > 0) {
          await this.sleep(wait);
          // Something that may go sooner could have arrived while waiting.
          if (this.pickNext() !== job) continue;
        }
        this.queue.splice(this.queue.indexOf(job), 1);
        let error: unknown;
        try {
          await job.run();
        } catch (err) {
          error = err ?? new Error('send failed');
        }
        const sent = this.now();
        const jitter = () => Math.floor(this.random() * this.options.jitterMs);
        this.allFreeAt = sent + this.options.overallMs + jitter();
        this.chatFreeAt.set(job.chatId, sent + this.options.perChatMs + jitter());
        this.forgetIdleChats(sent);
        job.done(error);
      }
    } finally {
      this.running = false;
    }
  }

  /** Keeps the per-chat map small: a chat whose gap has passed needs no entry. */
  private forgetIdleChats(now: number): void {
    if (this.chatFreeAt.size < 1000) return;
    for (const [chat, at] of this.chatFreeAt) if (at <= now) this.chatFreeAt.delete(chat);
  }
}

/** Why `ConcurrencyCap.acquire` refused: the caller's own share is used up, or the whole process's. */
export type CapRefusal = 'per_client' | 'per_process';

/**
 * Counts things held open at once (event streams, uploads being read), per client and in the
 * whole process, and refuses one more beyond either cap. Not a rate limit (express-rate-limit
 * counts requests over time): this counts what is still open, and a slot comes back when its
 * holder releases it.
 *
 * @example
 * const streams = new ConcurrencyCap({ perClient: 20, perProcess: 5000 });
 * const slot = streams.acquire(req.ip ?? '');
 * if (typeof slot === 'string') throw new ApiError(429, …); // 'per_client' | 'per_process'
 * res.on('close', slot.release);
 */
export class ConcurrencyCap {
  private readonly perClient = new Map<string, number>();
  private total = 0;
  readonly limits: { perClient: number; perProcess: number };

  /** `perClient` omitted: only the process's cap applies (every caller may take every slot). */
  constructor(limits: { perClient?: number; perProcess: number }) {
    this.limits = { perProcess: limits.perProcess, perClient: limits.perClient ?? limits.perProcess };
    for (const [name, value] of Object.entries(this.limits))
      if (!Number.isInteger(value) || value < 1)
        throw new RangeError(`ConcurrencyCap: ${name} must be a whole number ≥ 1, got ${value}`);
  }

  /** Slots held now, in all and by one client. */
  held(client?: string): number {
    return client === undefined ? this.total : (this.perClient.get(client) ?? 0);
  }

  /**
   * Takes a slot for `client`, or says which cap is full. `release` gives it back; calling it
   * again does nothing, so it can be hooked to every way a request ends.
   */
  acquire(client = ''): { release: () => void } | CapRefusal {
    if (this.total >= this.limits.perProcess) return 'per_process';
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.limits.perClient) return 'per_client';
    this.perClient.set(client, mine + 1);
    this.total++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.perClient.get(client) ?? 1) - 1;
        // An address with nothing open is forgotten: the map holds open clients only.
        if (left > 0) this.perClient.set(client, left);
        else this.perClient.delete(client);
      },
    };
  }
}

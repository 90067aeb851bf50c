import { randomBytes } from 'node:crypto';
import type { Keys } from '../../redis/keys.ts';
import type { ScriptedRedis } from '../../redis/scripts.ts';

/**
 * The lock that makes one process the holder of the WhatsApp session (a number can be linked to one
 * browser at a time). Taken with `SET NX PX` plus a fencing token that only grows; renewed by its
 * holder only (a process whose lock expired cannot renew its way back); released at a clean stop.
 *
 * A holder that cannot renew (Redis unreachable) must assume it lost the lock once the time to
 * live has passed since its last renewal: {@link SessionLock.validUntil} says until when it may act.
 *
 * @example
 * const lock = new SessionLock(redis, keys, { ttlMs: 30_000 });
 * if (await lock.acquire()) { … start the client …; setInterval(() => lock.renew(), 10_000) }
 */
export class SessionLock {
  /** A random id of this process (per lock object): what the lock's value names as the owner. */
  readonly owner = randomBytes(9).toString('base64url');
  private token = 0;
  private renewedAt = 0;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly options: { ttlMs: number; now?: () => number },
  ) {
    if (!(options.ttlMs >= 100)) throw new RangeError('SessionLock: ttlMs must be at least 100');
  }

  /** The fencing token of the current holding (0 when not holding). */
  get fence(): number {
    return this.token;
  }

  /** The lock's value while held: `<owner>:<token>`. */
  get value(): string {
    return `${this.owner}:${this.token}`;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Epoch ms until which this process may act as the holder without a successful renewal. */
  get validUntil(): number {
    return this.token > 0 ? this.renewedAt + this.options.ttlMs : 0;
  }

  /** True while held and the last renewal is recent enough to be sure nobody else took over. */
  get held(): boolean {
    return this.now() < this.validUntil;
  }

  /** Takes the lock if it is free (or already ours). Returns whether this process holds it now. */
  async acquire(): Promise<boolean> {
    const started = this.now();
    const token = await this.redis.whatsappLockAcquire(
      this.keys.whatsappLock,
      this.keys.whatsappFence,
      this.owner,
      this.options.ttlMs,
    );
    this.token = Number(token);
    // Count from before the call: the lock may have been set at any point during it.
    if (this.token > 0) this.renewedAt = started;
    return this.token > 0;
  }

  /** Extends the lock. Returns false when it is no longer ours (it expired and someone took it). */
  async renew(): Promise<boolean> {
    if (this.token === 0) return false;
    const started = this.now();
    const renewed = await this.redis.whatsappLockRenew(
      this.keys.whatsappLock,
      this.value,
      this.options.ttlMs,
    );
    if (renewed === 1) {
      this.renewedAt = started;
      return true;
    }
    this.token = 0;
    return false;
  }

  /** Gives the lock up so another process can take over at once. Safe to call when not holding. */
  async release(): Promise<void> {
    if (this.token === 0) return;
    const value = this.value;
    this.token = 0;
    await this.redis.whatsappLockRelease(this.keys.whatsappLock, value);
  }

  /** Forgets the holding locally (after a failed renewal past the time to live). */
  drop(): void {
    this.token = 0;
  }
}

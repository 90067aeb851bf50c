import { autoRetry } from '@grammyjs/auto-retry';
import { HttpError, type Transformer } from 'grammy';
import { describe, expect, it } from 'vitest';
import { callTimeout, exceptGetUpdates, PollingWatch } from '../../src/channels/telegram/telegram-channel.ts';

type Call = { method: string; signal: AbortSignal | undefined };
type Answer = {
  ok: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
  parameters?: object;
};

/**
 * Runs `transformer` over a fake Bot API: `answer` gives each call's outcome (a value, or a promise
 * that may reject). Returns the call and what was called underneath.
 */
function harness(transformer: Transformer, answer: (call: Call, n: number) => Promise<Answer>) {
  const calls: Call[] = [];
  const prev = ((method: string, _payload: unknown, signal?: AbortSignal) => {
    const call = { method, signal };
    calls.push(call);
    return answer(call, calls.length);
  }) as unknown as Parameters<Transformer>[0];
  const call = (method: string, payload: object, signal?: unknown) =>
    (transformer as unknown as (...args: unknown[]) => Promise<Answer>)(prev, method, payload, signal);
  return { calls, call };
}

/**
 * An abort controller whose signal is not Node's AbortSignal, like the abort-controller polyfill's
 * that @grammyjs/runner passes to getUpdates (AbortSignal.any() ignores such a signal).
 */
class PolyfillAbortController {
  private readonly listeners = new Set<() => void>();
  readonly signal = {
    aborted: false,
    addEventListener: (_type: 'abort', listener: () => void) => this.listeners.add(listener),
    removeEventListener: (_type: 'abort', listener: () => void) => this.listeners.delete(listener),
  };
  abort(): void {
    if (this.signal.aborted) return;
    this.signal.aborted = true;
    for (const listener of [...this.listeners]) listener();
  }
}

/** An answer that never comes; rejects when the call's signal aborts. */
const never = (call: Call) =>
  new Promise<Answer>((_, reject) =>
    call.signal?.addEventListener('abort', () => reject(new HttpError('aborted', new Error('abort')))),
  );

describe('callTimeout', () => {
  it('abandons a call after its time limit, and getUpdates after its long-poll wait on top', async () => {
    const timedOut: string[] = [];
    const { call } = harness(
      callTimeout(100, (m) => timedOut.push(m)),
      (c) => never(c),
    );
    const started = Date.now();
    await expect(call('sendMessage', { chat_id: 1, text: 'x' })).rejects.toThrow('aborted');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(timedOut).toEqual(['sendMessage']);
    const polled = Date.now();
    await expect(call('getUpdates', { timeout: 1 })).rejects.toThrow('aborted');
    expect(Date.now() - polled).toBeGreaterThanOrEqual(1_090);
    // A poll's time-out is the polling watch's to report, once per outage.
    expect(timedOut).toEqual(['sendMessage']);
  });

  it("follows the caller's signal, also the abort-controller polyfill's the runner passes", async () => {
    const { call } = harness(callTimeout(60_000), (c) => never(c));
    const runner = new PolyfillAbortController();
    const polling = call('getUpdates', { timeout: 30 }, runner.signal);
    setTimeout(() => runner.abort(), 20);
    const started = Date.now();
    await expect(polling).rejects.toThrow('aborted');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('exceptGetUpdates(autoRetry())', () => {
  it('retries other calls but hands a failed getUpdates straight back', async () => {
    const failOnce = (_: Call, n: number) =>
      Promise.resolve<Answer>(
        n === 1
          ? { ok: false, error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 0 } }
          : { ok: true, result: [] },
      );
    const send = harness(exceptGetUpdates(autoRetry()), failOnce);
    expect(await send.call('sendMessage', { chat_id: 1, text: 'x' })).toMatchObject({ ok: true });
    expect(send.calls).toHaveLength(2);
    const poll = harness(exceptGetUpdates(autoRetry()), failOnce);
    expect(await poll.call('getUpdates', { timeout: 30 })).toMatchObject({ ok: false, error_code: 429 });
    expect(poll.calls).toHaveLength(1);
    const network = harness(exceptGetUpdates(autoRetry()), () =>
      Promise.reject(new HttpError('down', new Error())),
    );
    await expect(network.call('getUpdates', { timeout: 30 })).rejects.toThrow('down');
    expect(network.calls).toHaveLength(1);
  });
});

describe('PollingWatch', () => {
  it('reports an outage once when it starts and once when it ends, never a stop or a 409', async () => {
    const said: string[] = [];
    const watch = new PollingWatch({
      onFailing: (error) => said.push(`failing: ${error}`),
      onRecovered: (failed) => said.push(`recovered after ${failed}`),
    });
    const outcomes: (Answer | Error)[] = [
      new HttpError(
        "Network request for 'getUpdates' failed!",
        Object.assign(new Error('request to http://x/bot1:SECRET/getUpdates failed'), {
          code: 'ECONNREFUSED',
        }),
      ),
      { ok: false, error_code: 502, description: 'Bad Gateway' },
      new HttpError(
        "Network request for 'getUpdates' failed!",
        Object.assign(new Error('aborted'), { name: 'AbortError' }),
      ),
      { ok: true, result: [] },
      { ok: true, result: [] },
      { ok: false, error_code: 409, description: 'Conflict' },
    ];
    const { call } = harness(watch.transformer, (_, n) => {
      const outcome = outcomes[n - 1];
      return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome as Answer);
    });
    for (let i = 0; i < outcomes.length; i++) {
      await call('getUpdates', { timeout: 30 }).catch(() => undefined);
      if (i === 1) expect(watch.failing).toBe(true);
    }
    expect(watch.failing).toBe(false);
    // A poll aborted because polling stops is no failure.
    const stopping = new PolyfillAbortController();
    stopping.abort();
    const stopped = harness(watch.transformer, () => Promise.reject(new HttpError('aborted', new Error())));
    await stopped.call('getUpdates', { timeout: 30 }, stopping.signal).catch(() => undefined);
    expect(watch.failing).toBe(false);
    expect(said).toEqual([
      "failing: Network request for 'getUpdates' failed! (ECONNREFUSED)",
      'recovered after 3',
    ]);
  });
});

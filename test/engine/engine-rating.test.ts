import { describe, expect, it } from 'vitest';
import { newSession } from '../../src/engine/engine.ts';
import { ctx, run, text } from './engine-harness.ts';

// A valid tracking number (its check symbol is right).
const id = 'ADU-2GA8-K99E';

describe('a rating asked by a notice', () => {
  const asked = () => ({ ...newSession(ctx.now, 'id'), pendingRating: id });

  it('a typed 1–5 right after the ask rates the report', () => {
    const r = run([text('4')], { session: asked() });
    expect(r.effects).toEqual([{ kind: 'rate', trackingId: id, rating: 4, lang: 'id' }]);
    expect(r.session.pendingRating).toBeNull();
  });

  it('any other message ends the ask: a later "1" picks from the menu and rates nothing', () => {
    const r = run([text('halo'), text('1')], { session: asked() });
    expect(r.effects.filter((e) => e.kind === 'rate' || e.kind === 'reopen')).toEqual([]);
    expect(r.session.pendingRating).toBeNull();
    // The "1" chose the menu's first entry: a report flow started.
    expect(r.session.flowId).not.toBeNull();
  });
});

import type { WhatsAppTimings } from '../../src/channels/whatsapp/whatsapp-channel.ts';

/** Fast timings: a dead holder is replaced within about a second; no pacing delays. */
export const FAST_WHATSAPP: Partial<WhatsAppTimings> = {
  lockTtlMs: 800,
  renewEveryMs: 200,
  acquireEveryMs: 100,
  reconnectBaseMs: 50,
  reconnectMaxMs: 200,
  perChatMs: 0,
  overallMs: 0,
  jitterMs: 0,
  relayEveryMs: 50,
  retryBaseMs: 20,
};

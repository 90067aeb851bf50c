/** The Graph API answered with an error object (`{error:{message, type, code, error_subcode}}`), or not at all. */
export class GraphError extends Error {
  constructor(
    /** HTTP status; 0 when the request never got an answer (network, timeout). */
    readonly httpStatus: number,
    /** Meta's error code (`131026`, `130429`…); 0 when there was none. */
    readonly code: number,
    readonly title: string,
  ) {
    super(
      `graph api: ${httpStatus ? `HTTP ${httpStatus}` : 'no answer'}${code ? `, code ${code}` : ''}: ${title}`,
    );
    this.name = 'GraphError';
  }
}

/**
 * What to do about a failed send:
 * - `retry`: a passing condition (throughput or pair rate limits, Meta's own trouble, no answer);
 * - `template`: the 24-hour window is closed: send the approved template instead;
 * - `gone`: the number cannot receive WhatsApp messages: the reporter is unreachable;
 * - `failed`: this message can never go (a template not approved or missing, a malformed request):
 *   recorded as a failed delivery, not retried.
 */
export type GraphErrorAction = 'retry' | 'template' | 'gone' | 'failed';

/** The decision table (Cloud API error codes reference). */
const ACTIONS: Readonly<Record<number, GraphErrorAction>> = {
  // Rate limits: app calls (4), account throughput (80007, 130429), spam rate (131048), pair rate (131056).
  4: 'retry',
  80007: 'retry',
  130429: 'retry',
  131048: 'retry',
  131056: 'retry',
  // Meta's own trouble: "something went wrong", "service unavailable", temporary API errors.
  1: 'retry',
  2: 'retry',
  131000: 'retry',
  131016: 'retry',
  // An expired or revoked token: an operator must fix it; until then keep the message queued.
  190: 'retry',
  // Re-engagement message: more than 24 hours since the reporter last wrote.
  131047: 'template',
  // Message undeliverable: not a WhatsApp number (or one that cannot receive from businesses).
  131026: 'gone',
  // Templates: not approved or paused, missing in this language, parameters not matching, disabled.
  132000: 'failed',
  132001: 'failed',
  132005: 'failed',
  132007: 'failed',
  132012: 'failed',
  132015: 'failed',
  132016: 'failed',
};

/**
 * Classifies a failed send. Codes not in the table: a 5xx or no answer is retried; any other
 * refusal would be refused again, so it is a failure of this message.
 *
 * @example graphErrorAction(new GraphError(400, 131026, 'Message undeliverable')) // → 'gone'
 */
export function graphErrorAction(err: GraphError): GraphErrorAction {
  const known = ACTIONS[err.code];
  if (known) return known;
  if (err.httpStatus === 0 || err.httpStatus >= 500 || err.httpStatus === 429) return 'retry';
  return 'failed';
}

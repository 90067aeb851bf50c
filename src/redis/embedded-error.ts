// The embedded Redis's one error type, in its own module because the lock, the process and the
// start-up code all throw it and none of them should have to import another just for that.

/** Why the embedded Redis could not start; `message` is written for the person running Aduan. */
export type EmbeddedRedisErrorCode = 'not_found' | 'locked' | 'start_failed' | 'timeout';

/** A start-up failure of the embedded Redis, with a message that says what to do. */
export class EmbeddedRedisError extends Error {
  override readonly name = 'EmbeddedRedisError';
  constructor(
    readonly code: EmbeddedRedisErrorCode,
    message: string,
  ) {
    super(message);
  }
}

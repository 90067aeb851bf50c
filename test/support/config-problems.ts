import { ConfigError, loadConfig } from '../../src/config/config.ts';

/** The problems loadConfig reports for `env`, as `VARIABLE: message` (none: the settings load). */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.variable}: ${p.message}`);
  }
}

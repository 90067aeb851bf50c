import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * Aduan's Lua scripts, registered on a connection as custom commands (ioredis `defineCommand`,
 * which sends EVALSHA and falls back to EVAL once). Files are named `<command>-<numberOfKeys>.lua`
 * and document their KEYS and ARGV in a header, as BullMQ's are.
 */
const SCRIPTS = [
  'session-save-4',
  'session-settle-2',
  'session-forget-4',
  'ticket-create-7',
  'ticket-update-6',
  'whatsapp-lock-acquire-2',
  'whatsapp-lock-renew-1',
  'whatsapp-lock-release-1',
  'whatsapp-relay-take-3',
  'whatsapp-relay-done-3',
  'whatsapp-relay-forget-2',
] as const;

type Arg = string | number;

/** A connection with Aduan's commands defined. */
export interface ScriptedRedis extends Redis {
  sessionSave(k1: string, k2: string, k3: string, k4: string, ...argv: Arg[]): Promise<number>;
  sessionSettle(k1: string, k2: string, ...argv: Arg[]): Promise<number>;
  sessionForget(k1: string, k2: string, k3: string, k4: string, ...argv: Arg[]): Promise<number>;
  ticketCreate(...keysAndArgs: Arg[]): Promise<[number, string]>;
  ticketUpdate(...keysAndArgs: Arg[]): Promise<number>;
  whatsappRelayForget(relay: string, inflight: string, chatId: string): Promise<number>;
  whatsappLockAcquire(lock: string, fence: string, owner: string, ttlMs: number): Promise<number>;
  whatsappLockRenew(lock: string, value: string, ttlMs: number): Promise<number>;
  whatsappLockRelease(lock: string, value: string): Promise<number>;
  whatsappRelayTake(lock: string, relay: string, inflight: string, value: string): Promise<string | null>;
  whatsappRelayDone(
    lock: string,
    inflight: string,
    relay: string,
    value: string,
    taken: string,
    rest: string,
  ): Promise<number>;
}

function commandName(file: string): string {
  const base = file.replace(/-\d+$/, '');
  return base.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

/** Defines the scripts on `redis` (idempotent) and returns it typed. */
export function withScripts(redis: Redis): ScriptedRedis {
  const scripted = redis as ScriptedRedis;
  for (const file of SCRIPTS) {
    const name = commandName(file);
    if (name in scripted) continue;
    const lua = readFileSync(new URL(`./lua/${file}.lua`, import.meta.url), 'utf8');
    redis.defineCommand(name, { numberOfKeys: Number(file.split('-').pop()), lua });
  }
  return scripted;
}

/**
 * Reading and setting the local RabbitMQ's application environment (rabbitmqctl eval), for
 * fault tests that need a broker-wide setting such as consumer_timeout, which 3.10 has only
 * globally. Callers hold withBrokerLock and restore the old value in finally: every engineer's
 * tests share this broker.
 */
import { rabbitmqctl } from './broker-restart.js';

/** The value of rabbit's `key` as Erlang prints it, or undefined when unset. */
export async function getRabbitEnv(key: string): Promise<number | undefined> {
  const out = (await rabbitmqctl('eval', `application:get_env(rabbit, ${key}).`)).trim();
  const m = /^\{ok,\s*(-?\d+)\}$/.exec(out);
  if (m) return Number(m[1]);
  if (out === 'undefined') return undefined;
  throw new Error(`rabbitmqctl eval: unexpected answer for ${key}: ${out}`);
}

/** Sets rabbit's `key` (integer) or, with undefined, unsets it. */
export async function setRabbitEnv(key: string, value: number | undefined): Promise<void> {
  if (!/^[a-z_]+$/.test(key) || (value !== undefined && !Number.isInteger(value)))
    throw new Error(`refusing to eval ${key}=${String(value)}`);
  const expr =
    value === undefined ? `application:unset_env(rabbit, ${key}).` : `application:set_env(rabbit, ${key}, ${value}).`;
  const out = (await rabbitmqctl('eval', expr)).trim();
  if (out !== 'ok') throw new Error(`rabbitmqctl eval ${expr} answered ${out}`);
}

/**
 * Runs fn with rabbit's settings changed, restoring every old value afterwards even when fn
 * throws (a failed restore is rethrown after the others were tried).
 */
export async function withRabbitEnv<T>(
  settings: Record<string, number>,
  fn: (old: Record<string, number | undefined>) => Promise<T>,
): Promise<T> {
  const old: Record<string, number | undefined> = {};
  for (const key of Object.keys(settings)) old[key] = await getRabbitEnv(key);
  try {
    for (const [key, value] of Object.entries(settings)) await setRabbitEnv(key, value);
    return await fn(old);
  } finally {
    let failure: Error | undefined;
    for (const [key, value] of Object.entries(old)) {
      await setRabbitEnv(key, value).catch((e: unknown) => (failure ??= e instanceof Error ? e : new Error(String(e))));
    }
    // The broker's settings must come back whatever fn did: a failure to restore them is the one to hear of.
    // eslint-disable-next-line no-unsafe-finally -- rethrowing the restore failure on purpose
    if (failure) throw failure;
  }
}

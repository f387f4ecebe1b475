// The one way tests, benches and the chaos run wait for something asynchronous to happen: poll a condition
// until it holds, and fail loudly, naming what never happened, when it does not within the deadline. No fixed
// sleeps: a wait ends as soon as its condition holds.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, as in "waiting for ..." ("the first full sync"): the error names it. */
  message: string;
  /** Milliseconds before giving up (default 20 s). */
  timeout?: number;
  /** Milliseconds between checks (default 100). */
  interval?: number;
}

/** What a condition gives back: the value once it holds; `undefined`, `null` or `false` while it does not. */
type Held<T> = Exclude<T, undefined | null | false>;

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

/**
 * Checks `condition` until it returns a value other than undefined, null or false, and returns that value.
 * A condition that throws ends the wait at once with its error (a child process that exited, a refused
 * request): only "not yet" is retried.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitOptions): Promise<Held<T>> {
  const timeout = options.timeout ?? 20_000;
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== null && value !== false) return value as Held<T>;
    if (Date.now() >= deadline) throw new WaitTimeoutError(`waited ${timeout / 1000} s for ${options.message}, which never came`);
    await sleep(Math.min(options.interval ?? 100, Math.max(0, deadline - Date.now())));
  }
}

export class StillHoldsError extends Error {
  override name = 'StillHoldsError';
}

/**
 * The other side of waiting: for something that must NOT happen, checks `invariant` throughout `duration`
 * milliseconds (the time in which it would have happened) and fails at the first check where it no longer
 * holds, naming it. Only for proving an absence; to wait for something, use waitFor.
 */
export async function holdsThroughout(invariant: () => boolean | Promise<boolean>, options: { message: string; duration: number; interval?: number }): Promise<void> {
  const end = Date.now() + options.duration;
  for (;;) {
    if (!(await invariant())) throw new StillHoldsError(`${options.message} stopped holding before ${options.duration / 1000} s had passed`);
    if (Date.now() >= end) return;
    await sleep(Math.min(options.interval ?? 50, Math.max(0, end - Date.now())));
  }
}

/**
 * waitFor for a wait written as expectations: checks `assertion` until it stops throwing and returns what it
 * returns; when it never does, fails naming `message` and quoting the last failed expectation.
 */
export async function untilPasses<T>(assertion: () => T | Promise<T>, options: WaitOptions): Promise<T> {
  let last: unknown;
  let result: { value: T } | undefined;
  try {
    await waitFor(async () => {
      try {
        result = { value: await assertion() };
        return true;
      } catch (error) {
        last = error;
        return false;
      }
    }, options);
  } catch (error) {
    const why = last instanceof Error ? last.message : String(last);
    throw new WaitTimeoutError(`${(error as Error).message}; last check: ${why}`, { cause: last });
  }
  return result!.value;
}

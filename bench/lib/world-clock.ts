// Days of upkeep in minutes: moves this process's clock (the app's `Date`) and the in-process simulator's
// clock forward together, so tokens, subscription expiries and the timers' "now" agree as they do in
// production, where the app and Microsoft both read real time. The simulator's clock is `Date.now()` plus its
// own offset, which stays 0 here: it moves with the process. Azurite, in its own process, keeps real time
// (message visibility and retries are seconds, unaffected). Timers (setTimeout) are not moved.
import type { RunningSimulator } from '../../dev/simulator/server.js';

const RealDate = Date;
let shiftMs = 0;

class ShiftedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(RealDate.now() + shiftMs);
    else super(...(args as ConstructorParameters<DateConstructor>));
  }

  static override now(): number {
    return RealDate.now() + shiftMs;
  }

  // Dates made before the shift (or by Node itself) are still Dates.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof RealDate;
  }
}

let installed = false;

/** Replaces the global Date once; until the first advance it reads real time. */
export function installWorldClock(): void {
  if (installed) return;
  globalThis.Date = ShiftedDate as DateConstructor;
  installed = true;
}

/** Moves the app's and the simulator's clocks forward by `ms`, and lets the simulator run what fell due. */
export function advanceWorldClock(sim: RunningSimulator, ms: number): void {
  if (!installed) throw new Error('installWorldClock() first');
  shiftMs += ms;
  sim.state.clock.advance(0); // its listeners: notification retries, meeting processing
}

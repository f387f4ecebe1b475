// When a failed webhook delivery is tried again: exponential backoff from 10 s, doubling, capped at 1 hour,
// with jitter (so a receiver that was down is not hit by every retry at once), for 24 hours after the
// first attempt; then the delivery goes to the dead-letter table.

export interface RetryPolicy {
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** How long after the first attempt retries stop. */
  retryWindowMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelaySeconds: 10,
  maxDelaySeconds: 3600,
  retryWindowMs: 24 * 3600 * 1000,
};

/** Seconds to wait before attempt `attempt + 1`, given `attempt` (0-based) just failed. */
export function backoffSeconds(attempt: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** Math.min(attempt, 30));
  // "Equal jitter": between half and all of the exponential delay, so delays still grow.
  return Math.max(1, Math.round(ceiling / 2 + random() * (ceiling / 2)));
}

export type NextStep = { kind: 'retry'; delaySeconds: number } | { kind: 'dead_letter' };

/** After a failed attempt: retry (never past the window's end, so the last try is at the deadline) or give up. */
export function nextStep(attempt: number, firstAttemptAtMs: number, nowMs: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY, random?: () => number): NextStep {
  const remainingMs = firstAttemptAtMs + policy.retryWindowMs - nowMs;
  if (remainingMs <= 0) return { kind: 'dead_letter' };
  return { kind: 'retry', delaySeconds: Math.max(1, Math.min(backoffSeconds(attempt, policy, random), Math.ceil(remainingMs / 1000))) };
}

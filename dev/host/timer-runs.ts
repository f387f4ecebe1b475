// The timers' schedules and last runs, recorded by the local host as it runs them (the Azure host keeps its
// own schedule monitor). In memory: the local console reads it to show when each timer last ran and runs next.
export interface TimerRunRecord {
  name: string;
  schedule: string;
  lastStartedAt?: string;
  lastFinishedAt?: string;
  lastOutcome?: 'succeeded' | 'failed';
  lastError?: string;
  nextRunAt?: string;
}

const records = new Map<string, TimerRunRecord>();

export function noteTimerScheduled(name: string, schedule: string, nextRunAt?: Date | null): void {
  records.set(name, { ...records.get(name), name, schedule, nextRunAt: nextRunAt?.toISOString() });
}

export function noteTimerRun(
  name: string,
  run: { startedAt: Date; finishedAt: Date; error?: string; nextRunAt?: Date | null },
): void {
  const previous = records.get(name);
  records.set(name, {
    name,
    schedule: previous?.schedule ?? '',
    lastStartedAt: run.startedAt.toISOString(),
    lastFinishedAt: run.finishedAt.toISOString(),
    lastOutcome: run.error === undefined ? 'succeeded' : 'failed',
    lastError: run.error,
    nextRunAt: run.nextRunAt?.toISOString() ?? previous?.nextRunAt,
  });
}

/** Every timer seen in this process, by name. */
export function timerRuns(): TimerRunRecord[] {
  return [...records.values()].sort((a, b) => a.name.localeCompare(b.name));
}

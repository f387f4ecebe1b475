// Runs timer functions on their six-field NCRONTAB schedules (croner, seconds first), in UTC like the
// Azure host, with runOnStartup honoured and never two runs of the same timer at once.
import { Cron } from 'croner';
import type { Timer } from '@azure/functions';
import type { StorageSettings } from '../../shared/config.js';
import { describeError } from '../../shared/logging.js';
import type { TimerFunctionDefinition } from '../../shared/runtime/function-definitions.js';
import { noteTimerRun, noteTimerScheduled } from './timer-runs.js';
import type { InFlight } from './in-flight.js';
import { createContext, flushQueueOutputs, type HostLogger } from './invocation.js';

/** A run that starts this late after its scheduled time is reported as past due. */
const PAST_DUE_MS = 1_000;

export interface TimerRunnerOptions {
  definitions: readonly TimerFunctionDefinition[];
  storage: StorageSettings;
  logger: HostLogger;
  inFlight: InFlight;
  timeZone: string;
  onQueuesWritten: (queueNames: string[]) => void;
}

/** Throws a clear error for a schedule the Azure host would refuse too. */
export function validateSchedule(def: TimerFunctionDefinition, timeZone = 'UTC'): void {
  const fields = def.schedule.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(`Timer "${def.name}": schedule "${def.schedule}" must have six NCRONTAB fields (second minute hour day month day-of-week)`);
  }
  try {
    new Cron(def.schedule, { paused: true, timezone: timeZone }).stop();
  } catch (error) {
    throw new Error(`Timer "${def.name}": invalid schedule "${def.schedule}": ${(error as Error).message}`, { cause: error });
  }
}

export class TimerRunner {
  private readonly jobs: Cron[] = [];
  private readonly running = new Set<string>();
  private readonly lastRun = new Map<string, Date>();
  private stopped = false;

  constructor(private readonly options: TimerRunnerOptions) {
    for (const def of options.definitions) validateSchedule(def, options.timeZone);
  }

  start(): void {
    for (const def of this.options.definitions) {
      const job: Cron = new Cron(def.schedule, { timezone: this.options.timeZone }, () => {
        this.fire(def, job, job.currentRun() ?? new Date());
      });
      this.jobs.push(job);
      noteTimerScheduled(def.name, def.schedule, job.nextRun());
      if (def.runOnStartup) this.fire(def, job, new Date());
    }
  }

  stop(): void {
    this.stopped = true;
    for (const job of this.jobs) job.stop();
  }

  private fire(def: TimerFunctionDefinition, job: Cron, scheduledAt: Date): void {
    if (this.stopped) return;
    if (this.running.has(def.name)) {
      this.options.logger.host('debug', `timer ${def.name}: previous run still in progress, skipping this occurrence`);
      return;
    }
    this.running.add(def.name);
    const now = new Date();
    const timer: Timer = {
      isPastDue: now.getTime() - scheduledAt.getTime() > PAST_DUE_MS,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: (this.lastRun.get(def.name) ?? new Date(0)).toISOString(),
        next: (job.nextRun() ?? now).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
    this.lastRun.set(def.name, now);
    void this.options.inFlight.track(this.invoke(def, timer, job)).finally(() => this.running.delete(def.name));
  }

  private async invoke(def: TimerFunctionDefinition, timer: Timer, job: Cron): Promise<void> {
    const context = createContext(def, this.options.logger, { timer });
    const startedAt = new Date();
    let failure: string | undefined;
    try {
      await def.handler(timer, context);
      this.options.onQueuesWritten(await flushQueueOutputs(def, context, this.options.storage));
    } catch (error) {
      failure = describeError(error);
      context.error(`Executed '${def.name}' (Failed): ${failure}`);
    }
    // For the local console's status: when each timer last ran, how it went, when it runs next.
    noteTimerRun(def.name, { startedAt, finishedAt: new Date(), error: failure, nextRunAt: job.nextRun() });
  }
}

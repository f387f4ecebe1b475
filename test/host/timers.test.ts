// Timer dispatch through the local host: NCRONTAB schedules with seconds, runOnStartup, no overlap.
import type { Timer } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../dev/host/index.js';
import type { FunctionDefinition } from '../../shared/runtime/function-definitions.js';
import { holdsThroughout, untilPasses } from '../support/wait-for.js';
import { latch, storage } from './support.js';

const hosts: LocalHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

async function start(definitions: FunctionDefinition[]): Promise<LocalHost> {
  const host = await startLocalHost({ definitions, port: 0, storage: storage(), log: () => {}, shutdownTimeoutMs: 5_000 });
  hosts.push(host);
  return host;
}

describe('local host timers', () => {
  it('fires a */1 * * * * * timer every second with a Timer object', async () => {
    const ticks: Timer[] = [];
    await start([{ kind: 'timer', name: 'everySecond', schedule: '*/1 * * * * *', handler: (timer) => void ticks.push(timer) }]);
    await untilPasses(() => expect(ticks.length).toBeGreaterThanOrEqual(2), { message: 'two ticks', timeout: 10_000, interval: 50 });
    const [first, second] = ticks as [Timer, Timer];
    expect(first.isPastDue).toBe(false);
    expect(first.schedule).toEqual({ adjustForDST: true });
    expect(Date.parse(first.scheduleStatus.next)).toBeGreaterThan(Date.parse(first.scheduleStatus.lastUpdated) - 1);
    expect(Date.parse(second.scheduleStatus.last)).toBe(Date.parse(first.scheduleStatus.lastUpdated));
  });

  it('runs a runOnStartup timer at start even when its schedule is far away', async () => {
    const runs: Timer[] = [];
    await start([
      { kind: 'timer', name: 'yearly', schedule: '0 0 0 1 1 *', runOnStartup: true, handler: (timer) => void runs.push(timer) },
    ]);
    await untilPasses(() => expect(runs).toHaveLength(1), { message: 'the first run', timeout: 5_000, interval: 20 });
    expect(new Date(runs[0]!.scheduleStatus.next).getUTCMonth()).toBe(0);
    expect(new Date(runs[0]!.scheduleStatus.next).getUTCDate()).toBe(1);
  });

  it('never overlaps two runs of the same timer', async () => {
    let running = 0;
    let maxRunning = 0;
    let started = 0;
    const release = latch();
    await start([
      {
        kind: 'timer',
        name: 'slow',
        schedule: '* * * * * *',
        runOnStartup: true,
        handler: async () => {
          started += 1;
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          await release.promise;
          running -= 1;
        },
      },
    ]);
    // Let the schedule come round at least twice while the first run is held.
    await holdsThroughout(() => started === 1, { message: 'one run at a time while the first is held', duration: 2_500 });
    expect(started).toBe(1);
    release.resolve();
    await untilPasses(() => expect(started).toBeGreaterThanOrEqual(2), { message: 'the next run after the release', timeout: 5_000, interval: 20 });
    expect(maxRunning).toBe(1);
  });

  it('refuses a schedule without the seconds field, as the Azure host does', async () => {
    await expect(
      startLocalHost({
        definitions: [{ kind: 'timer', name: 'fiveFields', schedule: '*/5 * * * *', handler: () => {} }],
        port: 0,
        storage: storage(),
        log: () => {},
      }),
    ).rejects.toThrow(/six NCRONTAB fields/);
  });
});

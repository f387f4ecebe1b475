// The app as `npm start` serves it, for the console tests: its own Microsoft 365 simulator (so nothing else
// in the run switches auto-consent on or shares its people), the local host with the root redirect, and
// one extra every-second timer so that the timers' last runs have something to show.
import { freePort } from '../../dev/host/ports.js';
import { startLocalHost, type LocalHost } from '../../dev/host/index.js';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { localApp } from '../../dev/local-app.js';
import { isSimulatedRun, useSimulator } from '../../dev/simulated-microsoft.js';
import { getConfig, resetConfig } from '../../shared/config.js';
import type { FunctionDefinition, TimerFunctionDefinition } from '../../shared/runtime/function-definitions.js';
import { getServices, resetServices, type Services } from '../../shared/services.js';

export const TICK_TIMER = 'consoleTestTick';

const tick: TimerFunctionDefinition = { kind: 'timer', name: TICK_TIMER, schedule: '* * * * * *', handler: async () => undefined };

export interface ConsoleApp {
  url: string;
  simulatorUrl: string;
  services: Services;
  close(): Promise<void>;
}

export async function startConsoleApp(options: { env?: Record<string, string>; definitions?: readonly FunctionDefinition[] } = {}): Promise<ConsoleApp> {
  const simulator: RunningSimulator = await startSimulator({ port: 0 });
  const port = await freePort();
  const saved = { ...process.env };
  process.env.PUBLIC_BASE_URL = `http://127.0.0.1:${port}`;
  process.env.M365_SIMULATOR_URL = simulator.url;
  Object.assign(process.env, options.env ?? {});
  resetConfig();
  resetServices();
  const local = localApp(isSimulatedRun() ? simulator.url : undefined);
  const config = getConfig();
  const host: LocalHost = await startLocalHost({
    definitions: options.definitions ?? [...local.definitions, tick],
    port,
    storage: config.storage,
    rootRedirect: local.rootRedirect,
    log: () => undefined,
  });
  return {
    url: host.url,
    simulatorUrl: simulator.url,
    services: getServices(),
    async close() {
      await host.close();
      await simulator.close();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      resetConfig();
      // Back to the run's simulator for whatever the test file does next.
      if (saved.M365_SIMULATOR_URL) useSimulator(saved.M365_SIMULATOR_URL);
      resetServices();
    },
  };
}

// Starts the real dependencies once for the whole integration tier: Azurite (in memory, free ports) and the
// Microsoft 365 simulator (default modules and seed, free port).
// Workers read the endpoints through inject() (see worker-setup.ts).
import type { TestProject } from 'vitest/node';
import { startWorld, type World } from './world.js';

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
    simulatorUrl: string;
  }
}

let world: World | undefined;

export async function setup(project: TestProject): Promise<void> {
  world = await startWorld({ pointThisProcess: false });
  project.provide('azuriteConnectionString', world.settings.AzureWebJobsStorage);
  project.provide('simulatorUrl', world.settings.M365_SIMULATOR_URL);
}

export async function teardown(): Promise<void> {
  await world?.close();
}

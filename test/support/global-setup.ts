// Starts the real dependencies once for the whole run: Azurite (in memory, free ports) and the
// Microsoft 365 simulator (default modules and seed, free port).
// Workers read the endpoints through inject() (see worker-setup.ts).
import type { TestProject } from 'vitest/node';
import { startAzurite, type RunningAzurite } from '../../dev/azurite.js';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
    simulatorUrl: string;
  }
}

let azurite: RunningAzurite | undefined;
let simulator: RunningSimulator | undefined;

export async function setup(project: TestProject): Promise<void> {
  azurite = await startAzurite();
  project.provide('azuriteConnectionString', azurite.connectionString);
  simulator = await startSimulator({ port: 0 });
  project.provide('simulatorUrl', simulator.url);
}

export async function teardown(): Promise<void> {
  await simulator?.close();
  await azurite?.close();
}

// Starts the real dependencies once for the whole run: Azurite (in memory, free ports).
// Workers read the endpoints through inject() (see worker-setup.ts).
import type { TestProject } from 'vitest/node';
import { startAzurite, type RunningAzurite } from '../../dev/azurite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
  }
}

let azurite: RunningAzurite | undefined;

export async function setup(project: TestProject): Promise<void> {
  azurite = await startAzurite();
  project.provide('azuriteConnectionString', azurite.connectionString);
}

export async function teardown(): Promise<void> {
  await azurite?.close();
}

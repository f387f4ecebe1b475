// The world the app runs in, for tests, benches and the chaos run: Azurite (Table and Queue, in a child
// process) and the Microsoft 365 simulator, on free ports, and the app settings that point at them. The
// integration tests' global set-up starts one world for the whole run; a bench or the chaos run starts its own.
import { startAzurite, type AzuriteOptions, type RunningAzurite } from '../../dev/azurite.js';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { useSimulator } from '../../dev/simulated-microsoft.js';
import { resetConfig } from '../../shared/config.js';
import { resetServices } from '../../shared/services.js';

/** The app settings that point an app (this process's, or a child's environment) at a world. */
export interface WorldSettings {
  AzureWebJobsStorage: string;
  M365_SIMULATOR_URL: string;
  /** The local secret store: a file, or ':memory:' (per process). */
  LOCAL_SECRETS_PATH: string;
}

export interface World {
  azurite: RunningAzurite;
  sim: RunningSimulator;
  settings: WorldSettings;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Persisted data and fixed ports (the chaos run restarts Azurite); in memory on free ports by default. */
  azurite?: AzuriteOptions;
  /** The local secret store's file; ':memory:' by default. */
  secretsPath?: string;
  /** Where Microsoft Graph sends notifications: the app's public address, once its port is known. */
  publicBaseUrl?: string;
  /** Points this process's app (process.env, config, services) at the world; true by default. */
  pointThisProcess?: boolean;
}

/** No simulator listens here: an app pointed at it fails loudly on its first Graph or sign-in call. */
export const NO_SIMULATOR_URL = 'http://127.0.0.1:9';

/** Points this process's app at the given settings: the next getConfig()/getServices() read them. */
export function pointAppAt(settings: Partial<WorldSettings>, publicBaseUrl?: string): void {
  Object.assign(process.env, settings);
  if (publicBaseUrl) process.env.PUBLIC_BASE_URL = publicBaseUrl;
  // The services reach Microsoft 365 through the simulator's transports (which live in dev/ only).
  if (settings.M365_SIMULATOR_URL) useSimulator(settings.M365_SIMULATOR_URL);
  resetConfig();
  resetServices();
}

/** Azurite only, for what needs storage and no Microsoft 365 (the health and notification benches). */
export async function startStorage(options: WorldOptions = {}): Promise<{ azurite: RunningAzurite; settings: WorldSettings; close(): Promise<void> }> {
  const azurite = await startAzurite(options.azurite);
  const settings = { AzureWebJobsStorage: azurite.connectionString, M365_SIMULATOR_URL: NO_SIMULATOR_URL, LOCAL_SECRETS_PATH: options.secretsPath ?? ':memory:' };
  if (options.pointThisProcess !== false) pointAppAt(settings, options.publicBaseUrl);
  return { azurite, settings, close: () => azurite.close() };
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const storage = await startStorage({ ...options, pointThisProcess: false });
  let sim: RunningSimulator;
  try {
    sim = await startSimulator({ port: 0 });
  } catch (error) {
    await storage.close();
    throw error;
  }
  const settings = { ...storage.settings, M365_SIMULATOR_URL: sim.url };
  if (options.pointThisProcess !== false) pointAppAt(settings, options.publicBaseUrl);
  return {
    azurite: storage.azurite,
    sim,
    settings,
    async close() {
      await sim.close();
      await storage.close();
    },
  };
}

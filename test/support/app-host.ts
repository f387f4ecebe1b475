// The app served over real HTTP by the local host as `npm start` serves it (the app's functions and the
// local console's), against the run's Azurite and a Microsoft 365 simulator (the run's shared one unless a
// test passes its own or asks for one). PUBLIC_BASE_URL is the host's own address, so redirects come back to it.
import { freePort } from '../../dev/host/ports.js';
import { startLocalHost, type LocalHost } from '../../dev/host/index.js';
import { localApp } from '../../dev/local-app.js';
import { isSimulatedRun } from '../../dev/simulated-microsoft.js';
import type { FunctionDefinition } from '../../shared/runtime/function-definitions.js';
import type { Transports } from '../../shared/transports.js';
import { getConfig, resetConfig } from '../../shared/config.js';
import { getServices, resetServices, type Services } from '../../shared/services.js';
import { startSimulator } from '../../dev/simulator/server.js';
import { checkAgainstDescription } from './api-contract.js';

export interface AppHost {
  url: string;
  services: Services;
  /** The operator's admin key (from the app's secret store). */
  adminKey: string;
  simulatorUrl: string;
  close(): Promise<void>;
}

export async function startAppHost(
  options: {
    simulatorUrl?: string;
    /**
     * A simulator of the test file's own, closed with the host: for a file that moves the simulator's clock
     * (waiting for admin consent to propagate, say), which would age every other file's tokens.
     */
    ownSimulator?: boolean;
    definitions?: readonly FunctionDefinition[];
    log?: (line: string) => void;
    /** Wraps the transports to the simulator (a test that watches which hosts the app addresses). */
    wrapTransports?: (transports: Transports) => Transports;
  } = {},
): Promise<AppHost> {
  const own = options.ownSimulator ? await startSimulator({ port: 0 }) : undefined;
  const port = await freePort();
  process.env.PUBLIC_BASE_URL = `http://127.0.0.1:${port}`;
  const chosenSimulator = own?.url ?? options.simulatorUrl;
  if (chosenSimulator) process.env.M365_SIMULATOR_URL = chosenSimulator;
  const simulatorUrl = process.env.M365_SIMULATOR_URL!;
  resetConfig();
  resetServices();
  const local = localApp(isSimulatedRun() ? simulatorUrl : undefined, { wrapTransports: options.wrapTransports });
  const config = getConfig();
  // Every answer is held to the API description; a breach fails the test file at close().
  const contract = checkAgainstDescription(options.definitions ?? local.definitions);
  const host: LocalHost = await startLocalHost({ definitions: contract.definitions, port, storage: config.storage, log: options.log ?? (() => undefined) });
  const services = getServices();
  const adminKey = (await services.secrets.get(config.adminKeySecretName)).value;
  const close = async () => {
    await host.close();
    await own?.close();
    if (contract.breaches.length > 0) throw new Error(`answers the API description does not give:\n${contract.breaches.join('\n')}`);
  };
  return { url: host.url, services, adminKey, simulatorUrl, close };
}

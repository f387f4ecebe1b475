// What the local host serves, and how the app reaches Microsoft 365 locally. With the Microsoft 365
// simulator standing in (no real Entra app configured): the app's functions plus the local console's, GET /
// redirecting to the console, and the services' transports routed to the simulator. With a real Entra app:
// the app's functions alone, reaching Microsoft as in Azure.
import { definitions } from '../functions/definitions.js';
import type { FunctionDefinition } from '../shared/runtime/function-definitions.js';
import { configureServices } from '../shared/services.js';
import type { Transports } from '../shared/transports.js';
import { consoleFunctions } from './console/functions.js';
import { CONSOLE_PATH } from './console/paths.js';
import { useSimulator } from './simulated-microsoft.js';

export interface LocalApp {
  definitions: readonly FunctionDefinition[];
  /** Where GET / redirects (the console), or undefined. */
  rootRedirect?: string;
}

export function localApp(simulatorUrl: string | undefined, options: { wrapTransports?: (transports: Transports) => Transports } = {}): LocalApp {
  if (!simulatorUrl) {
    configureServices({});
    return { definitions };
  }
  useSimulator(simulatorUrl, process.env, options);
  return { definitions: [...definitions, ...consoleFunctions(simulatorUrl)], rootRedirect: CONSOLE_PATH };
}

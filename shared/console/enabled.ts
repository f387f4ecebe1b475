// The local console is a development tool: served only when the app runs locally against the Microsoft 365
// simulator, never in Azure and never with a real Entra app (its routes answer 404 there).
import type { Config } from '../config.js';

export const CONSOLE_PATH = '/api/console';

export function consoleEnabled(config: Pick<Config, 'inAzure' | 'entra' | 'simulatorUrl'>): boolean {
  return config.entra.simulated && !config.inAzure && Boolean(config.simulatorUrl);
}

/** Where the local host sends GET / (http://localhost:7071/ opens the console), or undefined. */
export function consoleHomePath(config: Pick<Config, 'inAzure' | 'entra' | 'simulatorUrl'>): string | undefined {
  return consoleEnabled(config) ? CONSOLE_PATH : undefined;
}

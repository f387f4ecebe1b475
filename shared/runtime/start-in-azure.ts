// What the entry point for the Azure Functions host does at import: validate the settings, register the
// functions, start telemetry.
import { getConfig } from '../config.js';
import { describeError } from '../logging.js';
import { startTelemetry } from '../telemetry/start.js';
import type { FunctionDefinition } from './function-definitions.js';
import { registerWithAzure } from './register-azure.js';

export function startInAzure(definitions: readonly FunctionDefinition[]): void {
  // Validate every setting at start-up: a bad setting fails loudly here rather than on the first request.
  const config = getConfig();
  registerWithAzure(definitions);
  // Application Insights only when configured (the distro is loaded lazily); registration does not wait for it.
  void startTelemetry(config).catch((error: unknown) => console.error(`telemetry not started: ${describeError(error)}`));
}

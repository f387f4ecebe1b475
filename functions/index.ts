// Entry point for the Azure Functions host ("main" in package.json).
import { getConfig } from '../shared/config.js';
import { describeError } from '../shared/logging.js';
import { registerWithAzure } from '../shared/runtime/register-azure.js';
import { startTelemetry } from '../shared/telemetry/start.js';
import { definitions } from './definitions.js';

// Validate every setting at start-up: a bad setting fails loudly here rather than on the first request.
const config = getConfig();
registerWithAzure(definitions);
// Application Insights only when configured (the distro is loaded lazily); registration does not wait for it.
void startTelemetry(config).catch((error: unknown) => console.error(`telemetry not started: ${describeError(error)}`));

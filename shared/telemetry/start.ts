// Telemetry to Application Insights through Azure Monitor's OpenTelemetry distro, and only when
// APPLICATIONINSIGHTS_CONNECTION_STRING is set: otherwise nothing is registered, recorded or sent, and the
// distro (a large module tree) is never loaded, so a start without it pays nothing.
// https://learn.microsoft.com/azure/azure-monitor/app/opentelemetry-enable?tabs=nodejs
// In Azure the Application Insights resource accepts Entra authentication only, so the exporter signs in
// with the app's managed identity.
// https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication
import type { Config } from '../config.js';
import { appMeter } from './metrics.js';

let started: Promise<boolean> | undefined;

/** Starts exporting (once per process); resolves true when telemetry is on. */
export function startTelemetry(config: Config): Promise<boolean> {
  started ??= start(config);
  return started;
}

async function start(config: Config): Promise<boolean> {
  const connectionString = config.applicationInsightsConnectionString;
  if (!connectionString) return false;
  const [{ useAzureMonitor }, credential] = await Promise.all([import('@azure/monitor-opentelemetry'), exporterCredential(config)]);
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString, credential },
    // The Azure SDK's own spans (Table Storage, Queue Storage, Key Vault) nest under ours.
    instrumentationOptions: { azureSdk: { enabled: true }, http: { enabled: true } },
  });
  // The gauges read the store: imported here, so an entry point that starts telemetry does not load storage.
  const [{ registerGauges }, { getServices }] = await Promise.all([import('./gauges.js'), import('../services.js')]);
  registerGauges(appMeter(), () => getServices().store);
  return true;
}

async function exporterCredential(config: Config) {
  if (!config.inAzure) return undefined;
  // The app's user-assigned identity, as for Storage and Key Vault (loaded only when telemetry is on).
  const { managedIdentityCredential } = await import('../auth/azure-credential.js');
  return managedIdentityCredential(config.managedIdentityClientId);
}

// `npm start`: Azurite (persisted in .data/azurite), the Microsoft 365 simulator (unless a real Entra app is
// configured) and the local host serving every function of functions/definitions.ts, plus the local console
// when the simulator stands in (dev/local-app.ts).
//
// Dev-only variables (not app settings): PORT (7071), SIM_PORT (7072), LOCAL_DATA_DIR (.data),
// AZURITE_TABLE_PORT (10002), AZURITE_QUEUE_PORT (10001); 0 picks a free port. M365_SIMULATOR_URL: a
// simulator already running, used instead of starting one.
import { join, resolve } from 'node:path';
import { startAzurite, type RunningAzurite } from './azurite.js';
import { startLocalHost, type LocalHost } from './host/index.js';
import { readQueueSettings } from './host/host-json.js';
import { freePort, preferredOrFree } from './host/ports.js';
import type { RunningSimulator } from './simulator/server.js';
import { isSimulatedRun, useSimulator } from './simulated-microsoft.js';
import { ConfigError, getConfig, resetConfig, type Config } from '../shared/config.js';
import { describeError } from '../shared/logging.js';
import { startTelemetry } from '../shared/telemetry/start.js';

const env = process.env;

function intSetting(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) fail(`Invalid setting ${name}: must be a port number`);
  return value;
}

function fail(line: string): never {
  console.error(line);
  process.exit(1);
}

const stoppers: (() => Promise<void>)[] = [];

async function main(): Promise<void> {
  // A free port is chosen here rather than by the server, so that PUBLIC_BASE_URL can name it.
  const port = intSetting('PORT', 7071) || (await freePort());
  const simPort = intSetting('SIM_PORT', 7072);
  const dataDir = resolve(env.LOCAL_DATA_DIR || '.data');

  let azurite: RunningAzurite | undefined;
  if (!env.AzureWebJobsStorage && !env.AzureWebJobsStorage__accountName) {
    azurite = await startAzurite({
      location: join(dataDir, 'azurite'),
      tablePort: await preferredOrFree(intSetting('AZURITE_TABLE_PORT', 10002)),
      queuePort: await preferredOrFree(intSetting('AZURITE_QUEUE_PORT', 10001)),
    });
    stoppers.unshift(() => azurite!.close());
    env.AzureWebJobsStorage = azurite.connectionString;
  }

  let simulator: RunningSimulator | undefined;
  let simulatorUrl: string | undefined;
  if (isSimulatedRun(env)) {
    simulatorUrl = env.M365_SIMULATOR_URL?.trim() || undefined;
    if (!simulatorUrl) {
      // Imported only when needed: with a real Entra app the simulator's modules are never loaded.
      const { startSimulator } = await import('./simulator/server.js');
      simulator = await startSimulator({ port: await preferredOrFree(simPort) });
      stoppers.unshift(() => simulator!.close());
      simulatorUrl = simulator.url;
    }
    // The app runs as the simulated app registration, reaching the simulator through its transports.
    useSimulator(simulatorUrl);
  }
  env.PUBLIC_BASE_URL ||= `http://localhost:${port}`;
  env.LOCAL_SECRETS_PATH ||= join(dataDir, 'secrets.json');

  // Settings are complete: validate them before any function module reads them.
  let config: Config;
  try {
    resetConfig();
    config = getConfig();
  } catch (error) {
    await stopAll();
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }

  // Nothing is exported locally unless APPLICATIONINSIGHTS_CONNECTION_STRING is set.
  if (await startTelemetry(config)) console.info('Telemetry: exporting to Application Insights');
  const { localApp } = await import('./local-app.js');
  const { definitions, rootRedirect } = localApp(simulatorUrl);
  let host: LocalHost;
  try {
    host = await startLocalHost({
      definitions,
      port,
      storage: config.storage,
      logLevel: config.logLevel,
      queues: readQueueSettings(resolve('host.json')),
      rootRedirect,
    });
  } catch (error) {
    await stopAll();
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') fail(`Port ${port} is in use: stop what uses it or set PORT`);
    fail(`Local host failed to start: ${describeError(error)}`);
  }
  stoppers.unshift(() => host.close());

  const appUrl = `http://localhost:${host.port}`;
  console.info('');
  console.info(`Calendar Bridge ${config.version}: ${definitions.length} function(s)`);
  if (rootRedirect) console.info(`  console    ${appUrl}/   (open this: the whole flow, click by click)`);
  console.info(`  app        ${appUrl}/api/`);
  console.info(`  health     ${appUrl}/api/health`);
  console.info(`  simulator  ${simulatorUrl ?? 'off (real Microsoft 365)'}`);
  console.info(`  storage    ${azurite ? `Azurite: table ${azurite.tableEndpoint}, queue ${azurite.queueEndpoint} (data in ${join(dataDir, 'azurite')})` : 'from AzureWebJobsStorage'}`);
  console.info('Ctrl-C stops.');
}

let stopping: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const stop of stoppers.splice(0)) {
      try {
        await stop();
      } catch (error) {
        console.error(`shutdown: ${describeError(error)}`);
      }
    }
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      console.info('Stopping now.');
      process.exit(1);
    }
    console.info(`\n${signal}: shutting down (again to force)...`);
    void stopAll().then(() => process.exit(0));
  });
}

// A stray rejection or a throw in a function's callback must not take the whole development server down.
process.on('unhandledRejection', (reason) => {
  console.error(`unhandled rejection: ${describeError(reason)}`);
});
process.on('uncaughtException', (error) => {
  console.error(`uncaught exception: ${describeError(error)}`);
});

main().catch(async (error: unknown) => {
  await stopAll();
  fail(`Start-up failed: ${describeError(error)}`);
});

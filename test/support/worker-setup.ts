// Runs in every test worker before its tests: points the app's settings at the run's Azurite and simulator.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { useSimulator } from '../../dev/simulated-microsoft.js';
import { resetConfig } from '../../shared/config.js';

process.env.AzureWebJobsStorage = inject('azuriteConnectionString');
// The run's simulator: the services reach it through their transports, and tests find it here.
process.env.M365_SIMULATOR_URL = inject('simulatorUrl');
useSimulator(process.env.M365_SIMULATOR_URL);
process.env.LOCAL_SECRETS_PATH ??= ':memory:';
// Secrets are in memory per test file, so each file gets its own queues: a host in another file must not
// take (and fail) this file's messages.
process.env.QUEUE_NAME_PREFIX = `t${randomBytes(4).toString('hex')}-`;
resetConfig();

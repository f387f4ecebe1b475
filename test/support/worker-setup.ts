// Runs in every integration test worker before its tests: points the app's settings at the run's Azurite and
// simulator.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { pointAppAt } from './world.js';

// Secrets are in memory per test file, so each file gets its own queues: a host in another file must not
// take (and fail) this file's messages.
process.env.QUEUE_NAME_PREFIX = `t${randomBytes(4).toString('hex')}-`;
pointAppAt({
  AzureWebJobsStorage: inject('azuriteConnectionString'),
  M365_SIMULATOR_URL: inject('simulatorUrl'),
  LOCAL_SECRETS_PATH: process.env.LOCAL_SECRETS_PATH ?? ':memory:',
});

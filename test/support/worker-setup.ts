// Runs in every test worker before its tests: points the app's settings at the run's Azurite.
import { inject } from 'vitest';
import { resetConfig } from '../../shared/config.js';

process.env.AzureWebJobsStorage = inject('azuriteConnectionString');
process.env.M365_SIMULATOR_URL ??= 'http://127.0.0.1:9';
process.env.LOCAL_SECRETS_PATH ??= ':memory:';
resetConfig();

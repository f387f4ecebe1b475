// Runs in every test worker before its tests: points the app's settings at the run's Azurite and simulator.
import { inject } from 'vitest';
import { resetConfig } from '../../shared/config.js';

process.env.AzureWebJobsStorage = inject('azuriteConnectionString');
process.env.M365_SIMULATOR_URL = inject('simulatorUrl');
process.env.LOCAL_SECRETS_PATH ??= ':memory:';
resetConfig();

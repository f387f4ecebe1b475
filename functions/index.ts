// Entry point for the Azure Functions host ("main" in package.json).
import { getConfig } from '../shared/config.js';
import { registerWithAzure } from '../shared/runtime/register-azure.js';
import { definitions } from './definitions.js';

// Validate every setting at start-up: a bad setting fails loudly here rather than on the first request.
getConfig();
registerWithAzure(definitions);

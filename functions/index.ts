// Entry point for the Azure Functions host, every function loaded up front. What ships (package.json "main",
// dist/functions/index.js) is the bundle scripts/bundle-functions.mjs makes from the same definitions: the
// same registrations, each function's code imported on its first invocation.
import { startInAzure } from '../shared/runtime/start-in-azure.js';
import { definitions } from './definitions.js';

startInAzure(definitions);

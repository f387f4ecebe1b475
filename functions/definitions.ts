// The list of every function of the app. Add a function by adding its file here.
import type { FunctionDefinition } from '../shared/runtime/function-definitions.js';
import { healthFunction } from './health.js';

export const definitions: readonly FunctionDefinition[] = [healthFunction];

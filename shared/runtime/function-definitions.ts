// Every function is declared once, as data. functions/index.ts registers the declarations with the Azure
// Functions host; dev/host serves the very same declarations locally.
import type {
  FunctionOutput,
  HttpHandler,
  HttpMethod,
  StorageQueueHandler,
  StorageQueueOutput,
  TimerHandler,
} from '@azure/functions';
import type { RouteDescription } from '../http/route.js';

/** The app-setting name every storage binding uses. */
export const STORAGE_CONNECTION = 'AzureWebJobsStorage';

export interface HttpFunctionDefinition {
  kind: 'http';
  name: string;
  /** Route below the `api/` prefix, e.g. `connections/{id}`. */
  route: string;
  methods: HttpMethod[];
  authLevel: 'anonymous' | 'function' | 'admin';
  extraOutputs?: FunctionOutput[];
  /** The route's declaration (shared/http/route.ts), for the OpenAPI document and the contract check. */
  description?: RouteDescription;
  handler: HttpHandler;
}

export interface TimerFunctionDefinition {
  kind: 'timer';
  name: string;
  /** NCRONTAB, six fields: second minute hour day month day-of-week. */
  schedule: string;
  runOnStartup?: boolean;
  extraOutputs?: FunctionOutput[];
  handler: TimerHandler;
}

export interface QueueFunctionDefinition {
  kind: 'queue';
  name: string;
  queueName: string;
  extraOutputs?: FunctionOutput[];
  handler: StorageQueueHandler;
}

export type FunctionDefinition = HttpFunctionDefinition | TimerFunctionDefinition | QueueFunctionDefinition;

export function isQueueOutput(output: FunctionOutput): output is StorageQueueOutput {
  return output.type === 'queue';
}

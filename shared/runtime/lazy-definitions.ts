// A cheap registry for the Azure Functions host. The host registers every function from the entry point's
// import, before it serves anything, and needs only names, routes, schedules and queues for that; each
// function's code (its zod schemas, the SDKs under it) is imported on the function's first invocation.
// The build (scripts/bundle-functions.mjs) writes the registrations from functions/definitions.ts.
import type { InvocationContext } from '@azure/functions';
import type { FunctionDefinition } from './function-definitions.js';

type WithoutCode<T> = T extends FunctionDefinition ? Omit<T, 'handler' | 'description'> : never;

/** What registering a function takes, without its code. */
export type FunctionRegistration = WithoutCode<FunctionDefinition>;

/** A definition as the host registers it (route, schedule, queue): its data, not its code or route description. */
export function registrationOf(definition: FunctionDefinition): FunctionRegistration {
  const data = Object.entries(definition).filter(([key, value]) => key !== 'description' && typeof value !== 'function');
  return Object.fromEntries(data) as FunctionRegistration;
}

/** The definitions among a module's exports (one each, or arrays of them), by name. */
export function definitionsExportedBy(module: Record<string, unknown>): Map<string, FunctionDefinition> {
  const found = new Map<string, FunctionDefinition>();
  for (const value of Object.values(module)) {
    for (const item of [value].flat()) {
      if (item && typeof item === 'object' && 'kind' in item && 'name' in item && 'handler' in item) found.set(String(item.name), item as FunctionDefinition);
    }
  }
  return found;
}

/** A registered definition whose code is imported on its first invocation, or by loadCode(). */
export type LazyDefinition = FunctionDefinition & { loadCode(): Promise<FunctionDefinition> };

/**
 * Definitions for the host whose handlers import the defining module on the first call (once per process)
 * and hand the invocation to the real handler.
 */
export function lazyDefinitions(registrations: readonly (FunctionRegistration & { load: () => Promise<Record<string, unknown>> })[]): LazyDefinition[] {
  return registrations.map(({ load, ...registration }) => {
    let real: Promise<FunctionDefinition> | undefined;
    const loadCode = () =>
      (real ??= load().then((module) => {
        const found = definitionsExportedBy(module).get(registration.name);
        if (!found) throw new Error(`function ${registration.name}: its module does not export it`);
        return found;
      }));
    const handler = async (trigger: unknown, context: InvocationContext) => {
      const { handler: run } = await loadCode();
      return (run as (trigger: unknown, context: InvocationContext) => unknown)(trigger, context);
    };
    return { ...registration, handler, loadCode } as LazyDefinition;
  });
}

// The registry the bundle hands the Functions host: every function registered as functions/definitions.ts
// declares it (the same route, methods, schedule or queue), its code imported on the first invocation.
import { readdirSync } from 'node:fs';
import type { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { definitions } from '../../functions/definitions.js';
import type { FunctionDefinition } from '../../shared/runtime/function-definitions.js';
import { definitionsExportedBy, lazyDefinitions, registrationOf } from '../../shared/runtime/lazy-definitions.js';

const functionFiles = readdirSync(new URL('../../functions/', import.meta.url)).filter((f) => f.endsWith('.ts') && !['index.ts', 'definitions.ts'].includes(f));

describe('lazy definitions', () => {
  it('register every function exactly as declared, each loading the file that exports it', async () => {
    const loaders = new Map<string, () => Promise<Record<string, unknown>>>();
    for (const file of functionFiles) {
      const load = () => import(`../../functions/${file}`) as Promise<Record<string, unknown>>;
      for (const name of definitionsExportedBy(await load()).keys()) loaders.set(name, load);
    }
    const lazy = lazyDefinitions(definitions.map((d) => ({ ...registrationOf(d), load: loaders.get(d.name)! })));

    expect(lazy.map(registrationOf)).toEqual(definitions.map(registrationOf));
    for (const [i, definition] of lazy.entries()) expect(await definition.loadCode()).toBe(definitions[i]);
    // The registration is data only: no handler, no route description (schemas) in it.
    const health = registrationOf(definitions.find((d) => d.name === 'health')!);
    expect(health).toEqual({ kind: 'http', name: 'health', route: 'health', methods: ['GET'], authLevel: 'anonymous' });
  });

  it('import the module once, on the first invocation, and hand every invocation to the real handler', async () => {
    const calls: unknown[][] = [];
    const real: FunctionDefinition = { kind: 'timer', name: 'tick', schedule: '0 */5 * * * *', handler: async (timer, context) => void calls.push([timer, context]) };
    let imports = 0;
    const [lazy] = lazyDefinitions([{ ...registrationOf(real), load: async () => (imports++, { tickFunction: real }) } as never]);
    expect(imports).toBe(0);
    const context = { invocationId: 'a' } as InvocationContext;
    const timer = { isPastDue: false, scheduleStatus: undefined };
    await Promise.all([lazy!.handler(timer as never, context), lazy!.handler(timer as never, context)]);
    expect(imports).toBe(1);
    expect(calls).toEqual([
      [timer, context],
      [timer, context],
    ]);
  });

  it('fail the invocation, naming the function, when its module does not export it', async () => {
    const [lazy] = lazyDefinitions([{ kind: 'timer', name: 'gone', schedule: '0 0 * * * *', load: async () => ({}) }]);
    await expect(lazy!.handler({} as never, {} as InvocationContext)).rejects.toThrow(/function gone: its module does not export it/);
  });
});

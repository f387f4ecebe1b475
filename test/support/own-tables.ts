// Gives a test file tables of its own (TABLE_NAME_PREFIX), so what it writes (a system pause, many
// subscriptions, swept connections) cannot reach other files sharing the run's Azurite. Call it at the top
// level of the file; the returned function gives the file's services once its beforeAll has run.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { resetConfig } from '../../shared/config.js';
import { getServices, resetServices, type Services } from '../../shared/services.js';

export function useOwnTables(tag: string): () => Services {
  let services: Services | undefined;
  beforeAll(() => {
    process.env.TABLE_NAME_PREFIX = `${tag}${randomBytes(4).toString('hex')}`;
    resetConfig();
    resetServices();
    services = getServices();
  });
  afterAll(() => {
    delete process.env.TABLE_NAME_PREFIX;
    resetConfig();
    resetServices();
  });
  return () => {
    if (!services) throw new Error('useOwnTables: services are ready only inside tests and later hooks');
    return services;
  };
}

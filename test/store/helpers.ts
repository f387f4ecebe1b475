// A Store on the run's Azurite with tables of its own, so test files never see each other's rows.
import { randomBytes } from 'node:crypto';
import { getConfig } from '../../shared/config.js';
import { createStore, type Store } from '../../shared/store/store.js';

export function testStore(): Store {
  return createStore(getConfig().storage, { tablePrefix: `t${randomBytes(4).toString('hex')}` });
}

export const uniqueId = (label: string): string => `${label}-${randomBytes(6).toString('hex')}`;

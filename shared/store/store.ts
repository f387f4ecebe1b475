// The app's tables, as typed repositories. One Store per storage account (built by shared/services.ts).
import type { StorageSettings } from '../config.js';
import { createTableClient } from './table-client.js';
import { ClientRepository } from './repositories/clients.js';
import { ConnectionRepository } from './repositories/connections.js';
import { OAuthStateRepository } from './repositories/oauth-states.js';
import { SubscriptionRepository } from './repositories/subscriptions.js';
import { BookingRepository } from './repositories/bookings.js';
import { BusyRepository } from './repositories/busy.js';
import { ConnectLinkRepository } from './repositories/connect-links.js';
import { SettingsRepository } from './repositories/settings.js';
import { CounterRepository } from './repositories/counters.js';
import { DeadLetterRepository } from './repositories/dead-letters.js';
import { MailMessageRepository } from './repositories/mail-messages.js';
import { Xoauth2IssueRepository } from './repositories/xoauth2-issues.js';
import { SpaceRepository } from './repositories/spaces.js';
import { TenantRepository } from './repositories/tenants.js';

export const TABLE_NAMES = {
  clients: 'clients',
  connections: 'connections',
  oauthStates: 'oauthStates',
  subscriptions: 'subscriptions',
  bookings: 'bookings',
  busy: 'busy',
  connectLinks: 'connectLinks',
  settings: 'settings',
  deadLetters: 'deadLetters',
  mailMessages: 'mailMessages',
  xoauth2Issues: 'xoauth2Issues',
  spaces: 'spaces',
  tenants: 'tenants',
} as const;

export interface Store {
  clients: ClientRepository;
  connections: ConnectionRepository;
  oauthStates: OAuthStateRepository;
  subscriptions: SubscriptionRepository;
  bookings: BookingRepository;
  busy: BusyRepository;
  connectLinks: ConnectLinkRepository;
  settings: SettingsRepository;
  /** Running totals for the telemetry gauges, in the settings table. */
  counters: CounterRepository;
  deadLetters: DeadLetterRepository;
  mailMessages: MailMessageRepository;
  xoauth2Issues: Xoauth2IssueRepository;
  spaces: SpaceRepository;
  tenants: TenantRepository;
}

export interface StoreOptions {
  /** Prepended to every table name (letters and digits only); lets tests use their own tables. */
  tablePrefix?: string;
}

export function createStore(storage: StorageSettings, options: StoreOptions = {}): Store {
  const prefix = options.tablePrefix ?? storage.tableNamePrefix ?? '';
  if (!/^[A-Za-z0-9]*$/.test(prefix)) throw new TypeError('tablePrefix must be letters and digits');
  const client = (name: string) => createTableClient(storage, `${prefix}${name}`);
  const t = storage.timeoutMs;
  const counters = new CounterRepository(client(TABLE_NAMES.settings), t);
  return {
    clients: new ClientRepository(client(TABLE_NAMES.clients), t),
    connections: new ConnectionRepository(client(TABLE_NAMES.connections), t),
    oauthStates: new OAuthStateRepository(client(TABLE_NAMES.oauthStates), t),
    subscriptions: new SubscriptionRepository(client(TABLE_NAMES.subscriptions), t, counters),
    bookings: new BookingRepository(client(TABLE_NAMES.bookings), t),
    busy: new BusyRepository(client(TABLE_NAMES.busy), t),
    connectLinks: new ConnectLinkRepository(client(TABLE_NAMES.connectLinks), t),
    settings: new SettingsRepository(client(TABLE_NAMES.settings), t),
    counters,
    deadLetters: new DeadLetterRepository(client(TABLE_NAMES.deadLetters), t),
    mailMessages: new MailMessageRepository(client(TABLE_NAMES.mailMessages), t),
    xoauth2Issues: new Xoauth2IssueRepository(client(TABLE_NAMES.xoauth2Issues), t),
    spaces: new SpaceRepository(client(TABLE_NAMES.spaces), t),
    tenants: new TenantRepository(client(TABLE_NAMES.tenants), t),
  };
}

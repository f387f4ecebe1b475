// Public surface of the storage layer.
export { createStore, TABLE_NAMES, type Store, type StoreOptions } from './store.js';
export { TableRepository, type Versioned, type Page, type CallOptions, type ListOptions, type MutateOptions } from './repository.js';
export { NotFoundError, ConflictError, ConcurrencyError, isNotFoundError, isConflictError, isConcurrencyError } from './errors.js';
export { escapeKey, unescapeKey } from './keys.js';
export { splitIntoChunks, joinChunks } from './chunks.js';
export { createTableClient, createTableServiceClient, boundedCall } from './table-client.js';
export type { ClientEntity } from './repositories/clients.js';
export type { ConnectionEntity, ConnectionStatus } from './repositories/connections.js';
export { stateHash, OAUTH_STATE_ROW, OAUTH_STATE_TTL_MS, type OAuthStateEntity } from './repositories/oauth-states.js';
export { expiryBucket, subscriptionRecordKey, type SubscriptionEntity, type NewSubscription } from './repositories/subscriptions.js';
export type { BookingEntity, BookingStatus } from './repositories/bookings.js';
export { busyEventRowKey, calendarSyncRowKey, type BusyEventEntity, type CalendarSyncEntity, type CalendarSyncStatus } from './repositories/busy.js';
export { capabilityHash, CONNECT_LINK_ROW, PICKER_ROW, type ConnectLinkEntity, type PickerSessionEntity } from './repositories/connect-links.js';
export { SETTINGS_PARTITION, SYSTEM_SETTING_ROW, type SystemSettingEntity } from './repositories/settings.js';
export type { DeadLetterEntity } from './repositories/dead-letters.js';

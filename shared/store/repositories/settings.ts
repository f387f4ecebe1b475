// settings: operator switches that apply to the whole system. PartitionKey 'settings' / RowKey the setting's
// name; a tiny table read by point reads (and cached a few seconds by shared/admin/pause.ts).
import type { CallOptions, Versioned } from '../repository.js';
import { TableRepository } from '../repository.js';

export const SETTINGS_PARTITION = 'settings';
export const SYSTEM_SETTING_ROW = 'system';

export interface SystemSettingEntity {
  partitionKey: typeof SETTINGS_PARTITION;
  rowKey: typeof SYSTEM_SETTING_ROW;
  /** True while the operator has paused all syncing and writes. */
  paused: boolean;
  /** Why (shown to operators, never to booking systems). */
  reason?: string;
  /** What Retry-After tells callers while paused. */
  retryAfterSeconds?: number;
  changedAt: Date;
}

export class SettingsRepository extends TableRepository<SystemSettingEntity> {
  getSystem(options: CallOptions = {}): Promise<Versioned<SystemSettingEntity> | null> {
    return this.get(SETTINGS_PARTITION, SYSTEM_SETTING_ROW, options);
  }
}

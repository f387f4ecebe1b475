// A calendarView/delta event as a busy-cache row (UTC instants, all-day dates placed in their zone by the
// same rule the live read uses), or undefined when it makes no time busy at all (cancelled, unreadable).
import { eventToBusyItem } from '../graph/calendar-view.js';
import type { DeltaEvent } from '../graph/delta.js';
import type { CachedEvent } from './busy-cache.js';

export function deltaEventToCached(event: DeltaEvent, bookingRef?: string): CachedEvent | undefined {
  const item = eventToBusyItem({ ...event, showAs: event.showAs ?? 'busy' });
  if (!item) return undefined;
  return {
    eventId: event.id,
    start: new Date(item.start),
    end: new Date(item.end),
    showAs: item.showAs,
    isAllDay: event.isAllDay,
    bookingRef,
    changeKey: event['@odata.etag'] ?? event.changeKey,
  };
}

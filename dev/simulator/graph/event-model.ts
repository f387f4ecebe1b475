// The event resource: request-body validation, expansion into the items a calendar view shows (single
// instances, occurrences, exceptions) and the JSON Graph returns for each.
// https://learn.microsoft.com/en-us/graph/api/resources/event, https://learn.microsoft.com/en-us/graph/api/user-post-events
import type { SimUser } from '../state.js';
import { badRequest, unknownProperty } from './errors.js';
import { ONLINE_MEETING_PROVIDERS } from './online-meetings.js';
import { expandOccurrences, parseRecurrence } from './recurrence.js';
import { type EventFields, type OccurrenceOverride, type StoredEvent, etagOf } from './store.js';
import { parseDateTimeTimeZone, resolveZone, toDateTimeTimeZone } from './timezones.js';

/** Properties a client may write, kept verbatim in StoredEvent.fields after validation. */
const PLAIN_FIELDS = new Set([
  'subject',
  'body',
  'location',
  'locations',
  'attendees',
  'isReminderOn',
  'reminderMinutesBeforeStart',
  'showAs',
  'categories',
  'isOnlineMeeting',
  'onlineMeetingProvider',
  'sensitivity',
  'importance',
  'allowNewTimeProposals',
  'responseRequested',
  'hideAttendees',
]);
/** Handled specially, or read-only ones Graph accepts and ignores when a client echoes an event back. */
const SPECIAL_FIELDS = new Set(['start', 'end', 'isAllDay', 'recurrence', 'singleValueExtendedProperties', 'transactionId', 'originalStartTimeZone', 'originalEndTimeZone']);
const IGNORED_FIELDS = new Set([
  'id', 'createdDateTime', 'lastModifiedDateTime', 'changeKey', 'iCalUId', 'uid', 'webLink', 'type', 'seriesMasterId', 'isOrganizer',
  'hasAttachments', 'bodyPreview', 'onlineMeeting', 'onlineMeetingUrl', 'responseStatus', 'organizer', 'isCancelled', 'originalStart',
  'isDraft', 'occurrenceId', 'cancelledOccurrences', 'exceptionOccurrences', 'multiValueExtendedProperties',
]);

const ENUMS: Record<string, { type: string; values: string[] }> = {
  showAs: { type: 'microsoft.graph.freeBusyStatus', values: ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'] },
  sensitivity: { type: 'microsoft.graph.sensitivity', values: ['normal', 'personal', 'private', 'confidential'] },
  importance: { type: 'microsoft.graph.importance', values: ['low', 'normal', 'high'] },
  onlineMeetingProvider: {
    type: 'microsoft.graph.onlineMeetingProviderType',
    values: [...ONLINE_MEETING_PROVIDERS],
  },
};

export interface EventInput {
  fields: EventFields;
  start?: { ms: number; zoneName: string };
  end?: { ms: number; zoneName: string };
  isAllDay?: boolean;
  /** null clears the recurrence (PATCH), undefined leaves it. */
  recurrence?: ReturnType<typeof parseRecurrence> | null;
  extendedProperties?: { id: string; value: string }[];
  transactionId?: string;
}

const literal = (value: unknown, type: string) =>
  badRequest(`Cannot convert the literal '${String(value)}' to the expected type '${type}'.`, 'RequestBodyRead');

/**
 * An enum member as Graph reads it: case-insensitively, answered in its own spelling. The reference's own
 * requests write "type": "Required" and "locationType": "Default", and its responses answer "required" and
 * "default": https://learn.microsoft.com/en-us/graph/api/user-post-events#request-2
 */
function enumMember(value: unknown, values: readonly string[], type: string): string {
  const found = typeof value === 'string' ? values.find((v) => v.toLowerCase() === value.toLowerCase()) : undefined;
  if (!found) throw literal(value, type);
  return found;
}

/** https://learn.microsoft.com/en-us/graph/api/resources/location#locationtype-values */
const LOCATION_TYPES = ['default', 'conferenceRoom', 'homeAddress', 'businessAddress', 'geoCoordinates', 'streetAddress', 'hotel', 'restaurant', 'localBusiness', 'postalAddress'];

/** Validates a POST or PATCH body. Unknown properties get Graph's RequestBodyRead 400. */
export function parseEventInput(body: unknown): EventInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('Empty Payload. JSON content expected.');
  const input: EventInput = { fields: {} };
  const raw = body as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('@odata.') || key.includes('@odata.')) continue;
    if (PLAIN_FIELDS.has(key)) input.fields[key] = checkField(key, value);
    else if (!SPECIAL_FIELDS.has(key) && !IGNORED_FIELDS.has(key)) throw unknownProperty(key, 'microsoft.graph.event');
  }
  if (raw.start !== undefined) input.start = parseDateTimeTimeZone(raw.start, 'start');
  if (raw.end !== undefined) input.end = parseDateTimeTimeZone(raw.end, 'end');
  if (raw.isAllDay !== undefined) {
    if (typeof raw.isAllDay !== 'boolean') throw literal(raw.isAllDay, 'Edm.Boolean');
    input.isAllDay = raw.isAllDay;
  }
  if (raw.recurrence !== undefined)
    input.recurrence = raw.recurrence === null ? null : parseRecurrence(raw.recurrence, input.start?.zoneName ?? 'UTC');
  if (raw.singleValueExtendedProperties !== undefined) {
    if (!Array.isArray(raw.singleValueExtendedProperties)) throw literal(raw.singleValueExtendedProperties, 'Collection(microsoft.graph.singleValueLegacyExtendedProperty)');
    input.extendedProperties = raw.singleValueExtendedProperties.map((p: unknown) => {
      const { id, value } = (p ?? {}) as { id?: unknown; value?: unknown };
      if (typeof id !== 'string' || !/^(String|Integer|Boolean|SystemTime|Guid|Double|Long)\s+(\{[0-9a-f-]{36}\}\s+(Name|Id)\s+\S.*|0x[0-9a-f]{1,4})$/i.test(id.trim()))
        throw badRequest(`The extended property id '${String(id)}' is not valid.`, 'ErrorInvalidProperty');
      return { id: id.trim(), value: value === null || value === undefined ? '' : String(value) };
    });
  }
  if (raw.transactionId !== undefined && raw.transactionId !== null) {
    if (typeof raw.transactionId !== 'string') throw literal(raw.transactionId, 'Edm.String');
    input.transactionId = raw.transactionId;
  }
  return input;
}

function checkField(key: string, value: unknown): unknown {
  const e = ENUMS[key];
  if (e) return enumMember(value, e.values, e.type);
  switch (key) {
    case 'subject':
      if (value !== null && typeof value !== 'string') throw literal(value, 'Edm.String');
      return value ?? '';
    case 'isReminderOn':
    case 'isOnlineMeeting':
    case 'allowNewTimeProposals':
    case 'responseRequested':
    case 'hideAttendees':
      if (typeof value !== 'boolean') throw literal(value, 'Edm.Boolean');
      return value;
    case 'reminderMinutesBeforeStart':
      if (!Number.isInteger(value) || (value as number) < 0) throw literal(value, 'Edm.Int32');
      return value;
    case 'categories':
      if (!Array.isArray(value) || value.some((c) => typeof c !== 'string')) throw literal(value, 'Collection(Edm.String)');
      return value;
    case 'body': {
      const b = (value ?? {}) as { contentType?: unknown; content?: unknown };
      const contentType = String(b.contentType ?? 'text').toLowerCase();
      if (contentType !== 'text' && contentType !== 'html') throw literal(b.contentType, 'microsoft.graph.bodyType');
      return { contentType, content: typeof b.content === 'string' ? b.content : '' };
    }
    case 'location':
      return normaliseLocation(value);
    case 'locations':
      if (!Array.isArray(value)) throw literal(value, 'Collection(microsoft.graph.location)');
      return value.map(normaliseLocation);
    case 'attendees':
      if (!Array.isArray(value)) throw literal(value, 'Collection(microsoft.graph.attendee)');
      return value.map((a: unknown) => {
        const { emailAddress, type } = (a ?? {}) as { emailAddress?: { address?: unknown; name?: unknown }; type?: unknown };
        if (!emailAddress || typeof emailAddress.address !== 'string' || !emailAddress.address.includes('@'))
          throw badRequest('An attendee must have an email address.', 'ErrorInvalidRecipients');
        const t = enumMember(type ?? 'required', ['required', 'optional', 'resource'], 'microsoft.graph.attendeeType');
        return {
          type: t,
          status: { response: 'none', time: '0001-01-01T00:00:00Z' },
          emailAddress: { name: typeof emailAddress.name === 'string' ? emailAddress.name : emailAddress.address, address: emailAddress.address },
        };
      });
    default:
      return value;
  }
}

function normaliseLocation(value: unknown): Record<string, unknown> {
  if (!value || typeof value !== 'object') throw literal(value, 'microsoft.graph.location');
  const l = value as Record<string, unknown>;
  return {
    displayName: typeof l.displayName === 'string' ? l.displayName : '',
    locationType: l.locationType === undefined || l.locationType === null ? 'default' : enumMember(l.locationType, LOCATION_TYPES, 'microsoft.graph.locationType'),
    ...(typeof l.locationEmailAddress === 'string' ? { locationEmailAddress: l.locationEmailAddress } : {}),
    ...(l.address && typeof l.address === 'object' ? { address: l.address } : {}),
    ...(l.coordinates && typeof l.coordinates === 'object' ? { coordinates: l.coordinates } : {}),
    uniqueIdType: 'unknown',
  };
}

/** One item of a calendar view: a single instance, a series master, or one occurrence or exception of it. */
export interface EventView {
  event: StoredEvent;
  type: 'singleInstance' | 'seriesMaster' | 'occurrence' | 'exception';
  id: string;
  startMs: number;
  endMs: number;
  originalStartMs?: number;
  override?: OccurrenceOverride;
  changeKey: string;
}

export const occurrenceId = (masterId: string, originalStartMs: number) => `${masterId}_${originalStartMs}`;

export function parseOccurrenceId(id: string): { masterId: string; originalStartMs: number } | undefined {
  const i = id.lastIndexOf('_');
  if (i < 0) return undefined;
  const originalStartMs = Number(id.slice(i + 1));
  return Number.isSafeInteger(originalStartMs) ? { masterId: id.slice(0, i), originalStartMs } : undefined;
}

export function masterView(event: StoredEvent): EventView {
  return {
    event,
    type: event.recurrence ? 'seriesMaster' : 'singleInstance',
    id: event.id,
    startMs: event.startMs,
    endMs: event.endMs,
    changeKey: event.changeKey,
  };
}

function instanceView(event: StoredEvent, originalStartMs: number): EventView | undefined {
  const override = event.exceptions.get(originalStartMs);
  if (override?.deleted) return undefined;
  const duration = event.endMs - event.startMs;
  return {
    event,
    type: override ? 'exception' : 'occurrence',
    id: occurrenceId(event.id, originalStartMs),
    startMs: override?.startMs ?? originalStartMs,
    endMs: override?.endMs ?? originalStartMs + duration,
    originalStartMs,
    override,
    // An occurrence changes whenever its series or its own exception changes.
    changeKey: override ? `${event.changeKey}.${override.changeKey}` : event.changeKey,
  };
}

const overlaps = (start: number, end: number, from: number, to: number) => (end > start ? start < to && end > from : start >= from && start < to);

/** What calendarView shows of one stored event in [from, to). */
export function viewsInWindow(event: StoredEvent, from: number, to: number): EventView[] {
  if (!event.recurrence) return overlaps(event.startMs, event.endMs, from, to) ? [masterView(event)] : [];
  const duration = event.endMs - event.startMs;
  const views: EventView[] = [];
  const seen = new Set<number>();
  for (const start of expandOccurrences(event.recurrence, event.startMs, duration, from, to)) {
    seen.add(start);
    const view = instanceView(event, start);
    if (view && overlaps(view.startMs, view.endMs, from, to)) views.push(view);
  }
  // Exceptions moved into the window from outside it.
  for (const [original, override] of event.exceptions) {
    if (seen.has(original) || override.deleted) continue;
    const view = instanceView(event, original);
    if (view && overlaps(view.startMs, view.endMs, from, to)) views.push(view);
  }
  return views.sort((a, b) => a.startMs - b.startMs);
}

/** The occurrence of a series that starts (originally) at `originalStartMs`, if the pattern has one. */
export function findOccurrence(event: StoredEvent, originalStartMs: number): EventView | undefined {
  if (!event.recurrence) return undefined;
  const starts = expandOccurrences(event.recurrence, event.startMs, event.endMs - event.startMs, originalStartMs, originalStartMs + 1);
  return starts.includes(originalStartMs) ? instanceView(event, originalStartMs) : undefined;
}

export const graphTimestamp = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '0000Z');

export interface SerializeOptions {
  /** Zone name for start/end (Prefer: outlook.timezone); UTC otherwise. */
  zoneName: string;
  /** Which extended properties to include ($expand); none when undefined. */
  expandProperties?: (p: { id: string; value: string }) => boolean;
  /** Prefer: IdType="ImmutableId": ids (and seriesMasterId) are the immutable ones. */
  immutableIds?: boolean;
}

/** The id a request sees for a view: regular, or immutable when it asked for immutable ids. */
export function viewId(view: EventView, immutableIds: boolean | undefined): string {
  const masterId = immutableIds ? view.event.immutableId : view.event.id;
  return view.originalStartMs === undefined ? masterId : occurrenceId(masterId, view.originalStartMs);
}

/** The event JSON Graph returns, in Graph's property order. */
export function serializeEvent(view: EventView, mailbox: SimUser, opts: SerializeOptions): Record<string, unknown> {
  const e = view.event;
  const f: EventFields = { ...e.fields, ...(view.override?.fields ?? {}) };
  const isInstance = view.type === 'occurrence' || view.type === 'exception';
  const zone = resolveZone(opts.zoneName) ? opts.zoneName : 'UTC';
  const body = (f.body as { contentType: string; content: string } | undefined) ?? { contentType: 'html', content: '' };
  const isOrganizer = e.organizer.address.toLowerCase() === mailbox.mail.toLowerCase();
  const id = viewId(view, opts.immutableIds);
  const out: Record<string, unknown> = {
    '@odata.etag': etagOf(view.changeKey),
    id,
    createdDateTime: graphTimestamp(e.createdMs),
    lastModifiedDateTime: graphTimestamp(Math.max(e.lastModifiedMs, view.override?.lastModifiedMs ?? 0)),
    changeKey: view.changeKey,
    categories: f.categories ?? [],
    ...(e.transactionId ? { transactionId: e.transactionId } : {}),
    originalStartTimeZone: e.startZone,
    originalEndTimeZone: e.endZone,
    iCalUId: isInstance ? `${e.iCalUId}${view.originalStartMs!.toString(16).toUpperCase()}` : e.iCalUId,
    uid: e.iCalUId,
    reminderMinutesBeforeStart: f.reminderMinutesBeforeStart ?? 15,
    isReminderOn: f.isReminderOn ?? true,
    hasAttachments: false,
    subject: f.subject ?? '',
    bodyPreview: body.content.replace(/<[^>]*>/g, '').trim().slice(0, 255),
    importance: f.importance ?? 'normal',
    sensitivity: f.sensitivity ?? 'normal',
    isAllDay: e.isAllDay,
    isCancelled: e.isCancelled,
    isOrganizer,
    responseRequested: f.responseRequested ?? true,
    seriesMasterId: isInstance ? (opts.immutableIds ? e.immutableId : e.id) : null,
    showAs: f.showAs ?? 'busy',
    type: view.type,
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: null,
    isOnlineMeeting: f.isOnlineMeeting ?? false,
    onlineMeetingProvider: f.isOnlineMeeting ? (f.onlineMeetingProvider ?? 'unknown') : 'unknown',
    allowNewTimeProposals: f.allowNewTimeProposals ?? true,
    isDraft: false,
    hideAttendees: f.hideAttendees ?? false,
    responseStatus: e.responseStatus,
    body,
    start: toDateTimeTimeZone(view.startMs, zone),
    end: toDateTimeTimeZone(view.endMs, zone),
    location: f.location ?? { displayName: '', locationType: 'default', uniqueIdType: 'unknown', address: {}, coordinates: {} },
    locations: f.locations ?? (f.location && (f.location as { displayName?: string }).displayName ? [f.location] : []),
    recurrence: view.type === 'seriesMaster' ? e.recurrence : null,
    attendees: f.attendees ?? [],
    organizer: { emailAddress: e.organizer },
    onlineMeeting: f.isOnlineMeeting && e.onlineMeeting ? { ...e.onlineMeeting } : null,
  };
  if (isInstance) out.originalStart = new Date(view.originalStartMs!).toISOString().replace(/\.000Z$/, 'Z');
  if (opts.expandProperties) {
    const props = e.extendedProperties.filter(opts.expandProperties);
    if (props.length) out.singleValueExtendedProperties = props;
  }
  return out;
}

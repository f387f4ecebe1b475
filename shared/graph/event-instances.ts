// The occurrences and exceptions of a series in a time range: GET …/events/{seriesMasterId}/instances
// (https://learn.microsoft.com/en-us/graph/api/event-list-instances). Each carries `type` (occurrence or
// exception), `seriesMasterId` and `originalStart`, the start the pattern gave it, which stays put when the
// occurrence is moved (https://learn.microsoft.com/en-us/graph/api/resources/event#properties).
import type { Client } from '@microsoft/microsoft-graph-client';
import { calendarPath, EVENT_SELECT, type EventCallOptions, type GraphEvent } from './events.js';
import { toUtcIso } from '../time/zoned-time.js';

export interface GraphInstance extends GraphEvent {
  seriesMasterId?: string | null;
  /** Edm.DateTimeOffset, UTC. */
  originalStart?: string;
}

const MAX_PAGES = 20;

export async function listInstances(
  client: Client,
  calendarId: string | undefined,
  seriesMasterId: string,
  window: { startMs: number; endMs: number },
  options: EventCallOptions,
): Promise<GraphInstance[]> {
  const select = encodeURIComponent(`${EVENT_SELECT},seriesMasterId,originalStart`);
  const query = `startDateTime=${encodeURIComponent(toUtcIso(window.startMs))}&endDateTime=${encodeURIComponent(toUtcIso(window.endMs))}&$select=${select}`;
  let url: string | undefined = `${calendarPath(calendarId)}/events/${encodeURIComponent(seriesMasterId)}/instances?${query}`;
  const instances: GraphInstance[] = [];
  for (let page = 0; url && page < MAX_PAGES; page += 1) {
    const body = (await client
      .api(url)
      .options({ signal: AbortSignal.timeout(options.timeoutMs) })
      .get()) as { value?: GraphInstance[]; '@odata.nextLink'?: string };
    instances.push(...(body.value ?? []));
    url = body['@odata.nextLink'];
  }
  return instances;
}

// Time to converge after an Outlook-side change: the whole app on the local host (every function, Azurite
// queues), the simulator notifying it over HTTP. For BENCH_CONVERGE_ROUNDS (5) rounds an event is added,
// moved and deleted "in Outlook" through the simulator's control API; each time the clock runs until the
// busy cache holds the change and GET /busy answers it from the cache. Median and max, per kind of change.
import { startAppHost } from '../test/support/app-host.js';
import { connectUser } from '../test/support/connect-user.js';
import { simJson } from '../test/support/simulator-control.js';
import { waitFor } from '../test/support/wait-for.js';
import { startWorld } from '../test/support/world.js';
import { report } from './lib/sync-fixture.js';

const rounds = Number(process.env.BENCH_CONVERGE_ROUNDS ?? 5);
const world = await startWorld();
const app = await startAppHost();

const control = <T>(method: string, path: string, body?: unknown): Promise<T> => simJson<T>(world.sim.url, method, `/graph${path}`, body);

/** Milliseconds until `check` holds (at most 30 s, then it fails naming `what`). */
async function until(what: string, check: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  await waitFor(check, { message: what, timeout: 30_000, interval: 10 });
  return performance.now() - t0;
}

try {
  const user = await connectUser(app);
  const connectionId = user.connection.id;
  const calendarId = user.connection.busyCalendarIds[0]!;
  const upn = encodeURIComponent(user.userPrincipalName);
  await until('the first full sync', async () => (await app.services.store.busy.getSyncState(connectionId, calendarId))?.entity.status === 'synced');
  const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  const window = `start=${day}T00:00:00Z&end=${day}T23:59:00Z`;
  const busy = async () => {
    const res = await fetch(`${app.url}/api/connections/${connectionId}/busy?${window}`, { headers: { Authorization: `Bearer ${user.apiKey}` } });
    return (await res.json()) as { source: string; intervals: { start: string }[] };
  };
  const cachedHas = async (start: string, present: boolean) => {
    const b = await busy();
    return b.source === 'cache' && b.intervals.some((i) => i.start.startsWith(start)) === present;
  };

  const times: Record<'added' | 'moved' | 'deleted', number[]> = { added: [], moved: [], deleted: [] };
  for (let r = 0; r < rounds; r += 1) {
    const hour = String(8 + r).padStart(2, '0');
    const moved = String(14 + r).padStart(2, '0');
    const event = await control<{ id: string }>('POST', `/users/${upn}/events`, {
      calendarId,
      subject: `Converge ${r}`,
      start: { dateTime: `${day}T${hour}:00:00`, timeZone: 'UTC' },
      end: { dateTime: `${day}T${hour}:30:00`, timeZone: 'UTC' },
    });
    times.added.push(await until('an added event', () => cachedHas(`${day}T${hour}:00`, true)));
    await control('PATCH', `/users/${upn}/events/${event.id}`, { start: { dateTime: `${day}T${moved}:00:00`, timeZone: 'UTC' }, end: { dateTime: `${day}T${moved}:30:00`, timeZone: 'UTC' } });
    times.moved.push(await until('a moved event', async () => (await cachedHas(`${day}T${moved}:00`, true)) && (await cachedHas(`${day}T${hour}:00`, false))));
    await control('DELETE', `/users/${upn}/events/${event.id}`);
    times.deleted.push(await until('a deleted event', () => cachedHas(`${day}T${moved}:00`, false)));
  }
  const median = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
  for (const [kind, xs] of Object.entries(times)) {
    console.info(`convergence: event ${kind} in Outlook -> cached busy time in ${xs.map(Math.round).join(', ')} ms`);
    report('convergence', `Outlook change (${kind}) to cached busy, median`, median(xs), 'ms');
  }
  report('convergence', 'Outlook change to cached busy, max', Math.round(Math.max(...Object.values(times).flat())), 'ms');
} finally {
  await app.close();
  await world.close();
}

// The console's live status shows the demo's own Graph subscriptions even when the app holds many others
// that expire sooner (a shared store: other connections, other booking systems).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readLiveStatus } from '../../dev/console/live-status.js';
import { SimulatorControl } from '../../dev/console/simulator-control.js';
import { useOwnTables } from '../support/own-tables.js';

const ownServices = useOwnTables('ls');

async function subscription(connectionId: string, expiresInHours: number): Promise<string> {
  const subscriptionId = randomUUID();
  await ownServices().store.subscriptions.createSubscription({
    subscriptionId,
    clientId: 'client-live',
    connectionId,
    resource: `/users/x/calendars/${connectionId}/events`,
    calendarId: 'cal',
    clientStateHash: 'h',
    expiresAt: new Date(Date.now() + expiresInHours * 3_600_000),
    createdAt: new Date(),
  });
  return subscriptionId;
}

describe('console live status', () => {
  it("lists the demo connection's subscriptions first, however many others expire sooner", async () => {
    for (let i = 0; i < 12; i++) await subscription(`other-${i}`, 1 + i);
    const demo = await subscription('demo-connection', 160);
    const status = await readLiveStatus(ownServices(), new SimulatorControl(process.env.M365_SIMULATOR_URL!), undefined, 'demo-connection');
    expect(status.subscriptions[0]?.subscriptionId).toBe(demo);
    expect(status.subscriptions.length).toBeLessThanOrEqual(8);
    // The others follow in expiry order.
    const others = status.subscriptions.slice(1).map((s) => s.connectionId);
    expect(others).toEqual(others.slice().sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1])));
  });
});

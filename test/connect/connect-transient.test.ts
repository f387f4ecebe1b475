// A transient Graph fault while the OAuth callback reads the account and its calendars (429/503/504 with
// Retry-After) must not cost the person their connect link: the callback retries the reads within its
// time budget, over real HTTP against the run's simulator (faults scoped to this test's own mailbox).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createSimUser } from '../support/connect-user.js';
import { addFault, mailboxCounters, removeFault } from '../bookings/support.js';

let app: AppHost;
beforeAll(async () => {
  app = await startAppHost();
});
afterAll(async () => {
  await app?.close();
});

describe('connect callback under transient Graph faults', () => {
  it.each([429, 503, 504])('connects although the account and calendar reads first answer %i, more times than one request retries', { timeout: 90_000 }, async (status) => {
    const { userPrincipalName } = await createSimUser(app.simulatorUrl);
    const mailbox = { userPrincipalName } as Parameters<typeof addFault>[1];
    // Five failures in a row: more than the Graph client's own three retries of one request.
    const fault = await addFault(app, mailbox, { endpoint: 'GET /users/{user}', errorRate: 1, status, retryAfterSeconds: 1, remaining: 5 });
    try {
      const user = await connectUser(app, { userPrincipalName });
      expect(user.connection.status).toBe('active');
      expect(user.connection.busyCalendarIds.length).toBeGreaterThan(0);
      const counters = await mailboxCounters(app, mailbox);
      expect(counters['GET /users/{user}']).toBeGreaterThanOrEqual(5);
    } finally {
      await removeFault(app, fault);
    }
  });
});

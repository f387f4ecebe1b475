// $batch limits and per-item statuses, Outlook throttling with Retry-After (retried by the client's
// RetryHandler), injected faults, request counters, and getSchedule limits.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BatchRequestContent, BatchResponseContent, GraphError } from '@microsoft/microsoft-graph-client';
import { categorizeGraphError, retryAfterSeconds } from '../../../shared/graph/client.js';
import { APP_ONLY, type GraphSim, SEED_ROOMS, SEED_USERS, eventBody, startGraphSim } from './support.js';

let g: GraphSim;
beforeAll(async () => {
  g = await startGraphSim();
});
afterAll(() => g.close());
afterEach(async () => {
  await g.control('DELETE', '/_sim/graph/faults');
  await g.control('PUT', '/_sim/graph/limits', {});
});

const MEGAN = { userId: SEED_USERS.megan.id, scopes: ['Calendars.ReadWrite'] };

describe('$batch', () => {
  it('refuses more than 20 requests with 400', async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: '/me/calendar' }));
    const error = await g.client(MEGAN).api('/$batch').post({ requests }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect((error as GraphError).statusCode).toBe(400);
    const dup = await g.client(MEGAN).api('/$batch').post({ requests: [{ id: 'a', method: 'GET', url: '/me' }, { id: 'A', method: 'GET', url: '/me' }] }).catch((e: unknown) => e);
    expect((dup as GraphError).statusCode).toBe(400);
  });

  it('accepts the content BatchRequestContent builds', async () => {
    const content = new BatchRequestContent([
      { id: 'a', request: new Request('https://graph.microsoft.com/v1.0/me/calendar', { method: 'GET' }) },
      { id: 'b', request: new Request('https://graph.microsoft.com/v1.0/me/calendars', { method: 'GET' }) },
    ]);
    const responses = new BatchResponseContent(await g.client(MEGAN).api('/$batch').post(await content.getContent()));
    expect(((await responses.getResponseById('a').json()) as { isDefaultCalendar: boolean }).isDefaultCalendar).toBe(true);
    expect(responses.getResponseById('b').status).toBe(200);
  });

  it('returns a status per item, with 424 for dependents of a failed request', async () => {
    const client = g.client(MEGAN);
    // Built by hand: BatchRequestContent only allows parallel, serial or "same" dependency shapes.
    const raw = await client.api('/$batch').post({
      requests: [
        { id: '1', method: 'POST', url: '/me/events', headers: { 'Content-Type': 'application/json' }, body: eventBody({ subject: 'In batch' }) },
        { id: '2', method: 'GET', url: '/me/events/doesnotexist' },
        { id: '3', method: 'GET', url: '/me/calendar', dependsOn: ['2'] },
        { id: '4', method: 'GET', url: '/v1.0/me/calendars' },
        { id: '5', method: 'POST', url: '/me/events', body: eventBody() },
      ],
    });
    const responses = new BatchResponseContent(raw);
    const created = responses.getResponseById('1');
    expect(created.status).toBe(201);
    expect(((await created.json()) as { subject: string }).subject).toBe('In batch');
    expect(responses.getResponseById('2').status).toBe(404);
    expect(responses.getResponseById('3').status).toBe(424);
    expect(responses.getResponseById('4').status).toBe(200);
    expect(responses.getResponseById('5').status).toBe(400);
    for (const item of raw.responses as { headers: Record<string, string> }[]) expect(item.headers['Content-Type']).toBe('application/json');
  });

  it('throttles items beyond the mailbox concurrency limit with 429 and Retry-After', async () => {
    // Four items start together (Graph runs four at a time); with the limit lowered to 2 and each request
    // held for a while, exactly two of them are over MailboxConcurrency.
    await g.control('PUT', '/_sim/graph/limits', { concurrency: 2 });
    await g.control('POST', '/_sim/graph/faults', { endpoint: 'GET /users/{user}/calendar', latencyMs: 200 });
    const requests = Array.from({ length: 4 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: '/me/calendar' }));
    const raw = await g.client(MEGAN).api('/$batch').post({ requests });
    const items = raw.responses as { status: number; headers: Record<string, string>; body: { error?: { code: string; message: string } } }[];
    expect(items.map((r) => r.status).sort()).toEqual([200, 200, 429, 429]);
    const throttled = items.find((r) => r.status === 429)!;
    expect(throttled.headers['Retry-After']).toBe('1');
    expect(throttled.body.error).toMatchObject({ code: 'ApplicationThrottled', message: expect.stringContaining('MailboxConcurrency') });
  });
});

describe('throttling and faults', () => {
  it('the client RetryHandler honours Retry-After on an injected 429 and succeeds', async () => {
    const fault = await g.control<{ id: string }>('POST', '/_sim/graph/faults', { endpoint: 'calendars', mailbox: SEED_USERS.megan.userPrincipalName, errorRate: 1, status: 429, retryAfterSeconds: 1, remaining: 1 });
    expect(fault.status).toBe(201);
    await g.control('DELETE', '/_sim/graph/counters');
    const calendars = await g.client(MEGAN).api('/me/calendars').get();
    expect(calendars.value.length).toBeGreaterThan(0);
    const counters = await g.control<{ byEndpoint: Record<string, number>; byMailbox: Record<string, number> }>('GET', '/_sim/graph/counters');
    expect(counters.body.byEndpoint['GET /users/{user}/calendars']).toBe(2);
    expect(counters.body.byMailbox['megan@contoso.test']).toBe(2);
  });

  it('answers 429 ApplicationThrottled once the per-mailbox request budget is spent', async () => {
    await g.control('PUT', '/_sim/graph/limits', { requestsPerWindow: 3 });
    const client = g.client(APP_ONLY, 0);
    for (let i = 0; i < 3; i++) await client.api(`/users/${SEED_ROOMS.adams.id}/calendar`).get();
    const error = await client.api(`/users/${SEED_ROOMS.adams.id}/calendar`).get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect((error as GraphError).statusCode).toBe(429);
    expect((error as GraphError).code).toBe('ApplicationThrottled');
    expect(categorizeGraphError(error)).toBe('throttled');
    expect(retryAfterSeconds(error)).toBeGreaterThan(0);
    // Another mailbox is unaffected.
    expect((await client.api(`/users/${SEED_ROOMS.rainier.id}/calendar`).get()).isDefaultCalendar).toBe(true);
  });

  it('injects 503 with Retry-After for a chosen mailbox only', async () => {
    await g.control('POST', '/_sim/graph/faults', { mailbox: SEED_USERS.megan.id, errorRate: 1, status: 503 });
    const error = await g.client(MEGAN, 0).api('/me/calendar').get().catch((e: unknown) => e);
    expect((error as GraphError).statusCode).toBe(503);
    expect(categorizeGraphError(error)).toBe('server');
    const other = await g.client(APP_ONLY, 0).api(`/users/${SEED_USERS.diego.id}/calendar`).get();
    expect(other.isDefaultCalendar).toBe(true);
  });
});

describe('getSchedule', () => {
  it('returns free/busy with availabilityView and enforces the limits', async () => {
    const client = g.client(MEGAN);
    await client.api('/me/events').post(eventBody({ start: { dateTime: '2030-09-02T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2030-09-02T10:00:00', timeZone: 'UTC' }, showAs: 'tentative' }));
    const window = { startTime: { dateTime: '2030-09-02T08:00:00', timeZone: 'UTC' }, endTime: { dateTime: '2030-09-02T11:00:00', timeZone: 'UTC' }, availabilityViewInterval: 60 };
    const result = await client.api('/me/calendar/getSchedule').post({ schedules: ['megan@contoso.test', 'nobody@contoso.test'], ...window });
    expect(result.value[0]).toMatchObject({ scheduleId: 'megan@contoso.test', availabilityView: '010' });
    expect(result.value[0].scheduleItems[0]).toMatchObject({ status: 'tentative', start: { dateTime: '2030-09-02T09:00:00.0000000', timeZone: 'UTC' } });
    expect(result.value[1].error.responseCode).toBe('ErrorMailRecipientNotFound');

    const tooMany = await client.api('/me/calendar/getSchedule').post({ schedules: Array.from({ length: 21 }, (_, i) => `u${i}@contoso.test`), ...window }).catch((e: unknown) => e);
    expect((tooMany as GraphError).statusCode).toBe(400);
    const tooLong = await client
      .api('/me/calendar/getSchedule')
      .post({ schedules: ['megan@contoso.test'], startTime: { dateTime: '2030-09-01T00:00:00', timeZone: 'UTC' }, endTime: { dateTime: '2030-11-02T00:00:00', timeZone: 'UTC' } })
      .catch((e: unknown) => e);
    expect((tooLong as GraphError).statusCode).toBe(400);
    expect((tooLong as GraphError).code).toBe('ErrorInvalidParameter');
  });
});

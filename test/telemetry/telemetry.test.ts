// Traces and metrics, recorded by the real OpenTelemetry SDK into memory (no network): spans around Graph,
// Table Storage and Key Vault carry the connection and booking ids and no secret; the metrics alert rules
// use appear under their names. The app runs for real (local host, Azurite, simulator). This file uses
// tables of its own (TABLE_NAME_PREFIX), so the gauges count only what it does.
import { randomBytes } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyVaultSecretStore } from '../../shared/secrets/key-vault-secret-store.js';
import { runTokenKeepAlive } from '../../shared/keepalive/token-keep-alive.js';
import { registerGauges } from '../../shared/telemetry/gauges.js';
import { appMeter, METRIC_NAMES } from '../../shared/telemetry/metrics.js';
import { BOOKING_ID_ATTRIBUTE, CONNECTION_ID_ATTRIBUTE, withTelemetryIds } from '../../shared/telemetry/tracing.js';
import { api, bookingBody, sim } from '../bookings/support.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type ConnectedUser } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { startKeyVaultEmulator, type KeyVaultEmulator } from '../support/keyvault-emulator.js';
import { startWebhookReceiver, type WebhookReceiver } from '../sync/support.js';
import { waitFor } from '../support/wait-for.js';

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
let app: AppHost;
let receiver: WebhookReceiver;
let user: ConnectedUser;
let vault: KeyVaultEmulator;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  process.env.TABLE_NAME_PREFIX = `tel${randomBytes(4).toString('hex')}`;
  app = await startAppHost();
  registerGauges(appMeter(), () => app.services.store);
  receiver = await startWebhookReceiver();
  user = await connectUser(app, { client: await createTestClient(app, { webhookUrl: receiver.url }) });
  vault = await startKeyVaultEmulator();
}, 60_000);
afterAll(async () => {
  await app?.close();
  await receiver?.close();
  await vault?.close();
  delete process.env.TABLE_NAME_PREFIX;
  trace.disable();
  metrics.disable();
  context.disable();
});

/** Collects now and returns the data points of `name` as {attributes, value}. */
async function points(name: string): Promise<{ attributes: Record<string, unknown>; value: unknown }[]> {
  metricExporter.reset();
  await reader.forceFlush();
  const all: ResourceMetrics[] = metricExporter.getMetrics();
  return all
    .flatMap((r) => r.scopeMetrics)
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === name)
    .flatMap((m) => m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })));
}
const sum = async (name: string, attributes: Record<string, unknown> = {}) =>
  (await points(name))
    .filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
    .reduce((total, p) => total + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count), 0);

const finished = (): ReadableSpan[] => spans.getFinishedSpans();

describe('traces', () => {
  it('put the connection and booking ids on the Graph and Table Storage spans of a booking', async () => {
    const body = bookingBody(user);
    const created = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(created.status).toBe(201);
    const ofBooking = finished().filter((s) => s.attributes[BOOKING_ID_ATTRIBUTE] === body.bookingId);
    const graph = ofBooking.filter((s) => s.name.startsWith('Graph '));
    const tables = ofBooking.filter((s) => s.name.startsWith('Table '));
    expect(graph.length).toBeGreaterThan(0);
    expect(tables.map((s) => s.attributes['db.collection.name'])).toContain(`${process.env.TABLE_NAME_PREFIX}bookings`);
    for (const span of [...graph, ...tables]) expect(span.attributes[CONNECTION_ID_ATTRIBUTE]).toBe(user.connection.id);
    expect(graph.some((s) => s.attributes['http.request.method'] === 'POST' && s.attributes['http.response.status_code'] === 201)).toBe(true);
  });

  it('put the ids on Key Vault spans, with the secret name and never its value', async () => {
    const credential: TokenCredential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3600_000 }) };
    const store = new KeyVaultSecretStore(vault.url, {
      credential,
      clientOptions: { disableChallengeResourceVerification: true, tlsOptions: { ca: vault.ca }, retryOptions: { maxRetries: 0 } },
    });
    const value = `very-secret-${randomBytes(8).toString('hex')}`;
    await store.set('telemetry-probe', value);
    const read = await withTelemetryIds({ connectionId: user.connection.id }, () => store.get('telemetry-probe'));
    expect(read.value).toBe(value);
    const get = finished().find((s) => s.name === 'Key Vault get secret');
    expect(get?.attributes[CONNECTION_ID_ATTRIBUTE]).toBe(user.connection.id);
    expect(get?.attributes['calendar_bridge.secret.name']).toBe('telemetry-probe');
    expect(JSON.stringify(finished().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })))).not.toContain(value);
  });

  it('carry no secret: no API key, admin key, bearer token or query string', () => {
    const text = JSON.stringify(finished().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })));
    expect(finished().length).toBeGreaterThan(10);
    for (const secret of [user.apiKey, app.adminKey, 'eyJ', 'Bearer', 'refresh_token', 'client_secret', '$deltatoken', '?']) expect(text).not.toContain(secret);
  });
});

describe('metrics', () => {
  it('count connections by status and subscriptions by state without scanning', async () => {
    await waitFor(async () => (await sum(METRIC_NAMES.subscriptions, { state: 'healthy' })) >= 1, { message: 'the subscriptions gauge' });
    expect(await sum(METRIC_NAMES.connections, { status: 'active' })).toBe(1);
    expect(await sum(METRIC_NAMES.subscriptions, { state: 'expired' })).toBe(0);
  });

  it('measure notification-to-sync lag when a change in Outlook reaches the busy cache', async () => {
    const calendarId = user.connection.busyCalendarIds[0]!;
    const soon = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    await sim(app, 'POST', `/users/${user.userPrincipalName}/events`, {
      calendarId,
      subject: 'Dentist',
      start: { dateTime: `${soon}T10:00:00`, timeZone: 'UTC' },
      end: { dateTime: `${soon}T11:00:00`, timeZone: 'UTC' },
      showAs: 'busy',
    });
    await waitFor(async () => (await sum(METRIC_NAMES.notificationToSyncLag)) >= 1, { message: 'a lag measurement', timeout: 30_000 });
  });

  it('count the needs_reauth transition, the status change and the webhook it sends', async () => {
    expect((await simControl(app.simulatorUrl, 'POST', `/users/${user.userPrincipalName}/revoke-sign-in-sessions`)).status).toBe(200);
    const report = await runTokenKeepAlive(app.services, { clientIds: [user.client.clientId], now: new Date(Date.now() + 8 * 86_400_000), log: { info: () => undefined, warn: () => undefined } });
    expect(report.needsReauth).toBe(1);
    expect(await sum(METRIC_NAMES.connectionsNeedsReauth)).toBe(1);
    expect(await sum(METRIC_NAMES.connections, { status: 'needs_reauth' })).toBe(1);
    expect(await sum(METRIC_NAMES.connections, { status: 'active' })).toBe(0);
    await waitFor(async () => (await sum(METRIC_NAMES.webhookDeliveries, { outcome: 'delivered' })) >= 1, { message: 'the delivered webhook' });
  });
});

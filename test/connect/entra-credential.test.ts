// The app's own Entra credential in each mode, against the simulator's token endpoint and its App Service
// managed identity endpoint, with the real MSAL and the real @azure/identity ManagedIdentityCredential:
// federated credential from the managed identity (no secret), certificate, secret. When Entra refuses the
// app's credential, that is an operator's problem: connections stay active, the caller gets a 503
// entra_credential_failing, /api/health names it, and calendar_bridge.entra.credential_failures counts it.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { managedIdentityIssuer, MANAGED_IDENTITY_PATH, SIMULATED_IDENTITY_HEADER } from '../../dev/simulator/identity/managed-identity.js';
import type { SimApp } from '../../dev/simulator/state.js';
import { getAccessToken } from '../../shared/auth/connection-tokens.js';
import { EntraCredentialError } from '../../shared/auth/entra-credential-health.js';
import type { EntraCredentialMode } from '../../shared/config.js';
import { SIMULATED_CLIENT_ID } from '../../dev/simulator/seed.js';
import type { Services } from '../../shared/services.js';
import type { ConnectionEntity } from '../../shared/store/repositories/connections.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, json, SIM_TENANT, type ConnectedUser } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { untilPasses } from '../support/wait-for.js';

const MANAGED_IDENTITY = { clientId: randomUUID(), principalId: randomUUID() };

let sim: RunningSimulator;
let app: AppHost;
let simApp: SimApp;
let tenantId: string;
const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });

beforeAll(async () => {
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  sim = await startSimulator({ port: 0 });
  // What the Functions host gives an app with a managed identity (here: the simulator's endpoint).
  process.env.IDENTITY_ENDPOINT = `${sim.url}${MANAGED_IDENTITY_PATH}`;
  process.env.IDENTITY_HEADER = SIMULATED_IDENTITY_HEADER;
  process.env.AZURE_CLIENT_ID = MANAGED_IDENTITY.clientId;
  process.env.ENTRA_CREDENTIAL = 'managed_identity';
  app = await startAppHost({ simulatorUrl: sim.url });
  tenantId = [...sim.state.directory.tenants.values()].find((t) => t.domain === SIM_TENANT)!.id;
  sim.state.directory.managedIdentities.set(MANAGED_IDENTITY.clientId, { ...MANAGED_IDENTITY, tenantId });
  simApp = sim.state.directory.apps.get(SIMULATED_CLIENT_ID)!;
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
  for (const name of ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'AZURE_CLIENT_ID', 'ENTRA_CREDENTIAL']) delete process.env[name];
  await reader.shutdown();
});

/** Switches the running app to a credential mode, as ENTRA_CREDENTIAL would at start-up (same secret store). */
function useMode(mode: EntraCredentialMode): Services {
  app.services.config.entra.credential = mode;
  return app.services;
}

const trustManagedIdentity = () => {
  simApp.federatedCredentials = [{ issuer: managedIdentityIssuer(tenantId), subject: MANAGED_IDENTITY.principalId, audiences: ['api://AzureADTokenExchange'] }];
};

async function row(services: Services, user: ConnectedUser): Promise<ConnectionEntity> {
  return (await services.store.connections.require(user.client.clientId, user.connection.id)).entity;
}

async function health(): Promise<{ status: number; body: { failing?: string[]; checks: { entraCredential: { ok: boolean; mode: string; error?: string } } } }> {
  const res = await fetch(`${app.url}/api/health`);
  return { status: res.status, body: await json(res) };
}

async function credentialFailures(): Promise<Record<string, number>> {
  await reader.forceFlush();
  const counts: Record<string, number> = {};
  for (const m of exporter.getMetrics().at(-1)?.scopeMetrics.flatMap((s) => s.metrics) ?? []) {
    if (m.descriptor.name !== 'calendar_bridge.entra.credential_failures') continue;
    for (const p of m.dataPoints) counts[String(p.attributes.code)] = p.value as number;
  }
  return counts;
}

/** A refresh that must reach Entra (forceRefresh), expected to fail because of the app's credential. */
async function refusedRefresh(services: Services, user: ConnectedUser): Promise<EntraCredentialError> {
  const error = await getAccessToken(await row(services, user), { forceRefresh: true }, services).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(EntraCredentialError);
  return error as EntraCredentialError;
}

describe('federated credential from the managed identity (no secret)', () => {
  it('connects and refreshes with a managed-identity token as the client assertion', async () => {
    const services = useMode('managed_identity');
    trustManagedIdentity();
    const user = await connectUser(app);
    expect((await getAccessToken(await row(services, user), { forceRefresh: true }, services)).refreshed).toBe(true);
    const report = await health();
    expect(report.status).toBe(200);
    expect(report.body.checks.entraCredential).toEqual({ ok: true, mode: 'managed_identity' });
  });

  it('an app registration without the federated credential fails as an operator problem: 503, health, metric, connection stays active', async () => {
    const services = useMode('managed_identity');
    trustManagedIdentity();
    const user = await connectUser(app);
    const before = (await credentialFailures()).AADSTS70021 ?? 0;
    simApp.federatedCredentials = [];

    const error = await refusedRefresh(services, user);
    expect(error.status).toBe(503);
    expect(error.code).toBe('entra_credential_failing');
    expect(error.reason).toBe('AADSTS70021');
    expect((await row(services, user)).status).toBe('active');

    // Through the API: Graph refuses the stale access token, the refresh fails on the app's credential, and
    // the answer is 503 entra_credential_failing, not 409 connection_needs_reauth.
    await simControl(sim.url, 'POST', '/clock/advance', { minutes: 61 });
    let calendars: Response;
    try {
      calendars = await fetch(`${app.url}/api/connections/${user.connection.id}/calendars`, { headers: { Authorization: `Bearer ${user.apiKey}` } });
    } finally {
      // Client assertions carry the app's wall-clock times, which a simulated clock ahead of it would refuse.
      sim.state.clock.reset();
    }
    expect(calendars.status).toBe(503);
    expect(calendars.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await json(calendars)).code).toBe('entra_credential_failing');
    expect((await row(services, user)).status).toBe('active');

    // Health reports are shared for a second: await one taken after the failure.
    await untilPasses(
      async () => {
        const report = await health();
        expect(report.status).toBe(503);
        expect(report.body.failing).toContain('entraCredential');
        expect(report.body.checks.entraCredential).toMatchObject({ ok: false, mode: 'managed_identity', error: 'AADSTS70021' });
      },
      { message: 'a health report taken after the credential failure', timeout: 5000, interval: 250 },
    );
    expect((await credentialFailures()).AADSTS70021).toBeGreaterThan(before);

    // Fixed by the operator: the next token request succeeds and health recovers.
    trustManagedIdentity();
    expect((await getAccessToken(await row(services, user), { forceRefresh: true }, services)).refreshed).toBe(true);
    await untilPasses(async () => expect((await health()).body.checks.entraCredential.ok).toBe(true), { message: 'health to recover', timeout: 5000, interval: 250 });
  });

  it('a federated credential for another subject or audience is no match', async () => {
    const services = useMode('managed_identity');
    trustManagedIdentity();
    const user = await connectUser(app);
    for (const wrong of [
      { issuer: managedIdentityIssuer(tenantId), subject: randomUUID(), audiences: ['api://AzureADTokenExchange'] },
      { issuer: managedIdentityIssuer(tenantId), subject: MANAGED_IDENTITY.principalId, audiences: ['api://SomethingElse'] },
      { issuer: managedIdentityIssuer(randomUUID()), subject: MANAGED_IDENTITY.principalId, audiences: ['api://AzureADTokenExchange'] },
    ]) {
      simApp.federatedCredentials = [wrong];
      expect((await refusedRefresh(services, user)).reason).toBe('AADSTS70021');
    }
    expect((await row(services, user)).status).toBe('active');
    trustManagedIdentity();
  });
});

describe('client secret (last resort)', () => {
  it('an expired secret (AADSTS7000222) or an unknown app id (AADSTS700016) never turns a connection needs_reauth', async () => {
    const services = useMode('secret');
    const user = await connectUser(app);

    simApp.clientSecretExpiresAt = sim.state.clock.now();
    expect((await refusedRefresh(services, user)).reason).toBe('AADSTS7000222');
    expect((await row(services, user)).status).toBe('active');
    await untilPasses(async () => expect((await health()).body.checks.entraCredential).toMatchObject({ ok: false, mode: 'secret', error: 'AADSTS7000222' }), { message: 'health to report the client secret failure', timeout: 5000, interval: 250 });
    simApp.clientSecretExpiresAt = undefined;

    sim.state.directory.apps.delete(SIMULATED_CLIENT_ID);
    try {
      expect((await refusedRefresh(services, user)).reason).toBe('AADSTS700016');
    } finally {
      sim.state.directory.apps.set(SIMULATED_CLIENT_ID, simApp);
    }
    expect((await row(services, user)).status).toBe('active');
    expect((await getAccessToken(await row(services, user), { forceRefresh: true }, services)).refreshed).toBe(true);
  });
});

describe('certificate in the secret store (Key Vault in Azure)', () => {
  /** A self-signed certificate and its key, PEM, as Key Vault serves a PEM certificate's secret. */
  function selfSigned(): { pem: string; certificatePem: string } {
    const pem = execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=calendar-bridge-test', '-days', '2', '-keyout', '-', '-out', '-'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { pem, certificatePem: /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0] };
  }

  it('signs the client assertion with the certificate; an unregistered certificate is refused (AADSTS700027)', async () => {
    const registered = selfSigned();
    const services = useMode('certificate');
    await services.secrets.set('entra-client-certificate', registered.pem);
    simApp.certificates = [{ certificatePem: registered.certificatePem }];
    const user = await connectUser(app);
    expect((await getAccessToken(await row(services, user), { forceRefresh: true }, services)).refreshed).toBe(true);

    simApp.certificates = [{ certificatePem: selfSigned().certificatePem }];
    expect((await refusedRefresh(services, user)).reason).toBe('AADSTS700027');
    expect((await row(services, user)).status).toBe('active');
    simApp.certificates = [];
  });
});

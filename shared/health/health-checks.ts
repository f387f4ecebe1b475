// What GET /api/health reports: the app version and whether Table Storage, Queue Storage and the secret
// store answer, and whether Entra accepts the app's own credential (as this instance last saw it: failing
// from a refused token request until the next accepted one). Only short error codes go out: never a
// message, an endpoint or a connection string.
import { getQueueServiceClient } from '../queues/queue-client.js';
import type { Services } from '../services.js';
import { probeTableStorage } from '../store/table-client.js';
import { isSecretNotFound } from '../secrets/secret-store.js';
import { entraCredentialStatus } from '../auth/entra-credential-health.js';

/** Each check gets this long; a slower dependency counts as down. */
export const HEALTH_CHECK_TIMEOUT_MS = 2000;
/** Results are shared for this long, so an anonymous flood of health calls cannot flood Key Vault or storage. */
const REUSE_MS = 1000;

export interface CheckResult {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  checks: { tableStorage: CheckResult; queueStorage: CheckResult; secretStore: CheckResult; entraCredential: EntraCredentialCheck };
  failing?: string[];
}

/** No round trip: what the last token requests said. `error` is an AADSTS number or a short reason. */
export interface EntraCredentialCheck {
  ok: boolean;
  mode: string;
  error?: string;
  failingSince?: string;
}

function entraCredentialCheck(services: Services): EntraCredentialCheck {
  const status = entraCredentialStatus();
  const mode = services.config.entra.credential;
  return status.ok ? { ok: true, mode } : { ok: false, mode, error: status.error, failingSince: status.failingSince?.toISOString() };
}

class CheckTimeout extends Error {
  override name = 'TimeoutError';
}

/** A short, safe code for a failed check. */
export function checkErrorCode(error: unknown): string {
  const e = error as { name?: string; code?: string; statusCode?: number; cause?: unknown } | undefined;
  if (isSecretNotFound(error)) return 'secret_missing';
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return 'timeout';
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'REQUEST_SEND_ERROR'].includes(e?.code ?? '')) return 'unreachable';
  if (e?.statusCode === 401 || e?.statusCode === 403) return 'unauthorized';
  if (typeof e?.statusCode === 'number') return `http_${e.statusCode}`;
  if (e?.cause && e.cause !== error) return checkErrorCode(e.cause);
  return 'error';
}

async function timed(check: (signal: AbortSignal) => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CheckTimeout('check timed out'));
    }, HEALTH_CHECK_TIMEOUT_MS);
  });
  try {
    // The race bounds the check even if a client ignored the abort signal.
    await Promise.race([check(controller.signal), deadline]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), error: checkErrorCode(error) };
  } finally {
    clearTimeout(timer);
  }
}

export async function runHealthChecks(services: Services): Promise<HealthReport> {
  const { storage } = services.config;
  const [tableStorage, queueStorage, secretStore] = await Promise.all([
    timed((abortSignal) => probeTableStorage(storage, abortSignal)),
    timed(async (abortSignal) => (await getQueueServiceClient(storage)).listQueues({ abortSignal }).byPage({ maxPageSize: 1 }).next()),
    timed((abortSignal) => services.secrets.probe({ abortSignal })),
  ]);
  const checks = { tableStorage, queueStorage, secretStore, entraCredential: entraCredentialCheck(services) };
  const failing = Object.entries(checks)
    .filter(([, result]) => !result.ok)
    .map(([name]) => name);
  return {
    status: failing.length ? 'degraded' : 'ok',
    version: services.config.version,
    checks,
    ...(failing.length ? { failing } : {}),
  };
}

let recent: { services: Services; at: number; report: Promise<HealthReport> } | undefined;

export function sharedHealthReport(services: Services): Promise<HealthReport> {
  const now = Date.now();
  if (!recent || recent.services !== services || now - recent.at > REUSE_MS) {
    recent = { services, at: now, report: runHealthChecks(services) };
  }
  return recent.report;
}

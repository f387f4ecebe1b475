// The console's booking-system side: it calls Calendar Bridge's public API over HTTP with its API key,
// exactly as a booking system would (no shortcut into the application).
export class BridgeApiError extends Error {
  override name = 'BridgeApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface BridgeApi {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export function bridgeApi(baseUrl: string, apiKey: string): BridgeApi {
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${baseUrl}/api/${path}`, {
        method,
        headers: { Authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      const parsed: unknown = text ? safeJson(text) : undefined;
      if (res.status >= 400) {
        const problem = (parsed ?? {}) as { code?: string; detail?: string; title?: string };
        throw new BridgeApiError(res.status, problem.code ?? 'error', `${method} /api/${path.split('?')[0]}: ${res.status} ${problem.detail ?? problem.title ?? ''}`.trim());
      }
      return parsed as T;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// The Microsoft 365 simulator's control API (/_sim/...), as tests, benches and the chaos run drive it: users,
// faults, the clock, and Outlook-side changes to mailboxes. One client, so a refused control call always
// fails loudly with the simulator's answer.

/** Event ids as the app holds them: immutable (https://learn.microsoft.com/en-us/graph/outlook-immutable-id). */
export const IMMUTABLE_IDS = { Prefer: 'IdType="ImmutableId"' } as const;

/** Sends one control request (`path` below /_sim); a 4xx or 5xx answer throws with its body. */
export async function simControl(simulatorUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${simulatorUrl}/_sim${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 400) throw new Error(`simulator ${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

/** A control request whose answer is JSON (undefined for an empty body). */
export async function simJson<T = unknown>(simulatorUrl: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
  const text = await (await simControl(simulatorUrl, method, path, body, headers)).text();
  return (text ? JSON.parse(text) : undefined) as T;
}

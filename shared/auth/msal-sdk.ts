// @azure/msal-node (with jsonwebtoken and semver under it) is imported on the first sign-in, token or PKCE
// need, not at start-up: the Functions host waits for the entry point's import before it serves anything,
// and health checks, notifications and queue work that find tokens in no cache never need it.
import type * as MsalNode from '@azure/msal-node';

type Msal = typeof MsalNode;

let loading: Promise<Msal> | undefined;
let loaded: Msal | undefined;

/** MSAL, imported once per process. */
export function loadMsal(): Promise<Msal> {
  return (loading ??= import('@azure/msal-node').then((msal) => (loaded = msal)));
}

/** MSAL when it has been imported: until then no error can be one of MSAL's, so `instanceof` checks are false. */
export function msalIfLoaded(): Msal | undefined {
  return loaded;
}

// The Outlook resource (https://outlook.office.com): the delegated scopes SMTP AUTH and IMAP/POP clients
// authenticate with over SASL XOAUTH2. Entra issues its tokens like Graph's (v1.0 form, RS256 from the same
// keys) but with `aud` https://outlook.office.com and short scope names in `scp`. One token request names
// one resource: mixing Graph and Outlook scopes in a token request is AADSTS28000, while an authorize
// request may ask consent for both at once.
// https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth,
// AADSTS28000: https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
import type { SimState } from '../state.js';
import { IdentityError } from './errors.js';
import { mintAccessToken } from './tokens.js';

export const OUTLOOK_RESOURCE = 'https://outlook.office.com';
/** The Outlook resource's app id (Office 365 Exchange Online). */
export const OUTLOOK_APP_ID = '00000002-0000-0ff1-ce00-000000000000';
const PERMISSIONS = ['SMTP.Send', 'IMAP.AccessAsUser.All', 'POP.AccessAsUser.All', 'EWS.AccessAsUser.All'];
const CANONICAL = new Map(PERMISSIONS.map((p) => [p.toLowerCase(), p]));

/**
 * The qualified scope (https://outlook.office.com/SMTP.Send) for an Outlook resource scope, undefined
 * when the item names another resource. An unknown Outlook permission is invalid_scope.
 */
export function outlookScope(item: string): string | undefined {
  const lower = item.toLowerCase();
  const prefix = [`${OUTLOOK_RESOURCE}/`, `${OUTLOOK_APP_ID}/`].find((p) => lower.startsWith(p));
  if (!prefix) return undefined;
  const permission = CANONICAL.get(lower.slice(prefix.length));
  if (!permission) throw new IdentityError('invalid_scope', 70011, `The provided value for the input parameter 'scope' isn't valid. The scope ${item} isn't valid.`);
  return `${OUTLOOK_RESOURCE}/${permission}`;
}

/** AADSTS28000: one token request, one resource. */
export function moreThanOneResource(scope: string): IdentityError {
  return new IdentityError(
    'invalid_scope',
    28000,
    `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scope} is not valid.`,
  );
}

/** A delegated access token for the Outlook resource; `scopes` are qualified (as parseScopes returns them). */
export function mintOutlookAccessToken(
  state: SimState,
  input: { tenantId: string; appId: string; userId: string; scopes: string[] },
): Promise<{ token: string; expiresIn: number }> {
  return mintAccessToken(state, { audience: OUTLOOK_RESOURCE, appId: OUTLOOK_APP_ID }, {
    ...input,
    scopes: input.scopes.map((s) => s.slice(OUTLOOK_RESOURCE.length + 1)),
  });
}

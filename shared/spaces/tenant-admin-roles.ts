// Which directory roles prove that a signed-in person could grant this app its tenant-wide consent.
// The consent includes Microsoft Graph application permissions (Calendars.ReadWrite as an app role), which
// only a Global Administrator or a Privileged Role Administrator can grant; Cloud Application Administrator
// and Application Administrator can grant any permission "except Microsoft Graph app roles (application
// permissions)": https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/grant-admin-consent
// Role template ids (the values of the `wids` claim):
// https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference
// The `wids` claim lists the user's tenant-wide roles when the app registration's groupMembershipClaims is
// "DirectoryRole" or "All": https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
// (docs/deploy.md sets it on the app registration).

export const GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';
export const PRIVILEGED_ROLE_ADMINISTRATOR = 'e8611ab8-c189-46e8-94e1-60213ab1f814';
/** Can consent to delegated permissions and to other APIs' app roles, not to Graph's: not enough here. */
export const CLOUD_APPLICATION_ADMINISTRATOR = '158c047a-c907-4556-b7ef-446551a6b5f7';
export const APPLICATION_ADMINISTRATOR = '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3';

const GRAPH_APP_ROLE_CONSENTERS = new Set([GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR]);

/** True when an id token's `wids` claim holds a role that can grant Microsoft Graph application permissions. */
export function canGrantGraphAppConsent(wids: unknown): boolean {
  return Array.isArray(wids) && wids.some((id) => typeof id === 'string' && GRAPH_APP_ROLE_CONSENTERS.has(id.toLowerCase()));
}

// Work or school accounts (an organization's Entra tenant) and personal Microsoft accounts (outlook.com,
// hotmail.com, live.com) sign in through the same endpoints, and differ in what they can do: a personal
// account has no organization, so no rooms or places, no administrator to grant tenant-wide (app-only)
// access, no shared mailboxes, and its calendars meet over the consumer provider.
// Its tokens carry the consumer tenant's id as `tid`
// (https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference#payload-claims).
export const CONSUMER_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

export type AccountKind = 'work' | 'personal';

export function accountKindOf(tenantId: string | undefined): AccountKind {
  return tenantId?.toLowerCase() === CONSUMER_TENANT_ID ? 'personal' : 'work';
}

/** A tenant segment that names personal accounts (the `consumers` authority, or the consumer tenant). */
export function namesConsumers(tenant: string): boolean {
  const t = tenant.trim().toLowerCase();
  return t === 'consumers' || t === CONSUMER_TENANT_ID;
}

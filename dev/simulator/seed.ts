// The default directory: one tenant (contoso.test) with a few people, two rooms and the app itself, so
// `npm start` and the tests have someone to sign in as. Ids are fixed so logs and tests can name them.
import { ADMIN_APP_ROLE } from '../../shared/auth/admin-tokens.js';
import type { SimState } from './state.js';

/** The app's registration in the simulated directory: `npm start` runs the app with this client id. */
export const SIMULATED_CLIENT_ID = '00000000-0000-4000-8000-00000000c1b0';

/** The simulated app's client secret (the simulator checks it like Entra does): well known, accepted only by the loopback simulator. */
export const SIMULATED_CLIENT_SECRET = 'sim~CalendarBridge.local-secret-0001';

export const SEED_TENANT = { id: '7d1c4e2a-5b6f-4c3d-9e8a-0c0a7e55c0de', domain: 'contoso.test', displayName: 'Contoso (simulated)' };

/** Global Administrator's role template id (https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference#global-administrator). */
export const GLOBAL_ADMINISTRATOR_ROLE = '62e90394-69f5-4237-9190-012177145e10';

/** Adele is the tenant's Global Administrator; the others hold no directory role. */
export const SEED_USERS = {
  adele: { id: 'a0de1e00-0000-4000-8000-000000000001', userPrincipalName: 'adele@contoso.test', displayName: 'Adele Vance', timeZone: 'Pacific Standard Time' },
  alex: { id: 'a1e40000-0000-4000-8000-000000000002', userPrincipalName: 'alex@contoso.test', displayName: 'Alex Wilber', timeZone: 'Europe/London' },
  megan: { id: 'e6a40000-0000-4000-8000-000000000003', userPrincipalName: 'megan@contoso.test', displayName: 'Megan Bowen', timeZone: 'W. Europe Standard Time' },
  diego: { id: 'd1e60000-0000-4000-8000-000000000004', userPrincipalName: 'diego@contoso.test', displayName: 'Diego Siciliani', timeZone: 'America/New_York' },
} as const;

/** A person of the hybrid organisation whose mailbox is still on an Exchange Server: Graph cannot serve it. */
export const SEED_ON_PREMISES_USER = {
  id: '0b9e0000-0000-4000-8000-000000000005',
  userPrincipalName: 'nestor@contoso.test',
  displayName: 'Nestor Wilke',
  timeZone: 'W. Europe Standard Time',
  mailboxLocation: 'onPremises',
} as const;

export const SEED_ROOMS = {
  // As Entra often has rooms: the address people book (mail) is not the UPN, and /users/{mail} does not resolve.
  rainier: { id: '400a0000-0000-4000-8000-0000000000a1', userPrincipalName: 'confroom.rainier@contoso.test', mail: 'rainier@contoso.test', displayName: 'Conf Room Rainier', timeZone: 'Pacific Standard Time' },
  adams: { id: '400a0000-0000-4000-8000-0000000000a2', userPrincipalName: 'confroom.adams@contoso.test', mail: 'adams@contoso.test', displayName: 'Conf Room Adams', timeZone: 'Pacific Standard Time' },
} as const;

/**
 * The operator's service principal: an app registration of the tenant assigned the app role
 * CalendarBridge.Admin on the Calendar Bridge app, so client credentials for `api://{app}/.default` give
 * a token the admin API accepts (as `az account get-access-token` gives an operator in Azure).
 */
export const SEED_OPERATOR_APP = {
  clientId: '0be7a700-0000-4000-8000-0000000000ad',
  clientSecret: 'sim~CalendarBridge.operator-secret-0001',
  displayName: 'Calendar Bridge operator (simulated)',
} as const;

export function applySeed(state: SimState): void {
  const { directory } = state;
  if (!directory.tenants.has(SEED_TENANT.id)) directory.addTenant({ ...SEED_TENANT });
  for (const user of Object.values(SEED_USERS)) {
    if (!directory.users.has(user.id))
      directory.addUser({ ...user, tenantId: SEED_TENANT.id, kind: 'user', directoryRoles: user === SEED_USERS.adele ? [GLOBAL_ADMINISTRATOR_ROLE] : [] });
  }
  if (!directory.users.has(SEED_ON_PREMISES_USER.id)) directory.addUser({ ...SEED_ON_PREMISES_USER, tenantId: SEED_TENANT.id, kind: 'user', directoryRoles: [] });
  for (const room of Object.values(SEED_ROOMS)) {
    if (!directory.users.has(room.id)) directory.addUser({ ...room, tenantId: SEED_TENANT.id, kind: 'room' });
  }
  if (!directory.apps.has(SIMULATED_CLIENT_ID)) {
    directory.apps.set(SIMULATED_CLIENT_ID, {
      clientId: SIMULATED_CLIENT_ID,
      clientSecret: SIMULATED_CLIENT_SECRET,
      displayName: 'Calendar Bridge (simulated)',
      // As docs/deploy.md configures the real registration: directory roles as `wids` (tenant consent proof).
      groupMembershipClaims: 'DirectoryRole',
      appRoles: [ADMIN_APP_ROLE],
    });
  }
  if (!directory.apps.has(SEED_OPERATOR_APP.clientId)) {
    directory.apps.set(SEED_OPERATOR_APP.clientId, { ...SEED_OPERATOR_APP, assignedAppRoles: { [SIMULATED_CLIENT_ID]: [ADMIN_APP_ROLE] } });
  }
}

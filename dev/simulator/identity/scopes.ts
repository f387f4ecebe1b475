// Scope strings as the v2.0 endpoint reads them: OIDC scopes, Graph permissions given short
// (Calendars.ReadWrite) or qualified (https://graph.microsoft.com/Calendars.ReadWrite), and /.default.
// https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc (OIDC scopes, /.default),
// https://learn.microsoft.com/en-us/entra/identity-platform/permissions-consent-overview
import { IdentityError } from './errors.js';
import { outlookScope } from './outlook-resource.js';

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

export interface RequestedScopes {
  /** OIDC scopes, lower-case. */
  oidc: Set<string>;
  /** Graph delegated permissions in their canonical casing (e.g. Calendars.ReadWrite). */
  graph: string[];
  /** True when `/.default` was asked: every permission already granted. */
  isDefault: boolean;
  /** Outlook resource scopes, qualified (https://outlook.office.com/SMTP.Send): see outlook-resource.ts. */
  outlook: string[];
}

const KNOWN_PERMISSIONS = [
  'User.Read',
  'User.ReadBasic.All',
  'User.Read.All',
  'Calendars.Read',
  'Calendars.ReadBasic',
  'Calendars.ReadWrite',
  'Calendars.Read.Shared',
  'Calendars.ReadWrite.Shared',
  'Mail.Send',
  'MailboxSettings.Read',
  'MailboxSettings.ReadWrite',
  'Place.Read.All',
  'OnlineMeetings.ReadWrite',
];
const CANONICAL = new Map(KNOWN_PERMISSIONS.map((p) => [p.toLowerCase(), p]));

/** Descriptions shown on the consent page (the wording of Microsoft's consent prompts). */
export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Sign you in',
  profile: 'View your basic profile',
  email: 'View your email address',
  offline_access: 'Maintain access to data you have given it access to',
  'User.Read': 'Sign you in and read your profile',
  'Calendars.Read': 'Read your calendars',
  'Calendars.ReadBasic': 'Read basic details of your calendars',
  'Calendars.ReadWrite': 'Have full access to your calendars',
  'Calendars.Read.Shared': 'Read user and shared calendars',
  'Calendars.ReadWrite.Shared': 'Read and write user and shared calendars',
  'Mail.Send': 'Send mail as you',
  'MailboxSettings.Read': 'Read your mailbox settings',
};

/** Parses a space-separated scope parameter; throws invalid_scope for other resources. */
export function parseScopes(raw: string): RequestedScopes {
  const result: RequestedScopes = { oidc: new Set(), graph: [], isDefault: false, outlook: [] };
  for (const item of raw.split(/\s+/).filter(Boolean)) {
    const lower = item.toLowerCase();
    if (OIDC_SCOPES.has(lower)) {
      result.oidc.add(lower);
      continue;
    }
    const outlook = outlookScope(item);
    if (outlook !== undefined) {
      if (!result.outlook.includes(outlook)) result.outlook.push(outlook);
      continue;
    }
    const permission = graphPermission(item);
    if (permission === undefined) {
      throw new IdentityError('invalid_scope', 70011, `The provided value for the input parameter 'scope' isn't valid. The scope ${item} isn't valid.`);
    }
    if (permission === '.default') result.isDefault = true;
    else if (!result.graph.includes(permission)) result.graph.push(permission);
  }
  return result;
}

/** A Graph permission name from a short or resource-qualified scope; undefined for other resources. */
function graphPermission(scope: string): string | undefined {
  let name = scope;
  for (const prefix of [`${GRAPH_RESOURCE}/`, `${GRAPH_APP_ID}/`, 'https://graph.microsoft.com//']) {
    if (scope.toLowerCase().startsWith(prefix)) name = scope.slice(prefix.length);
  }
  if (name.includes('/') || name.includes(':')) return undefined;
  if (name.toLowerCase() === '.default') return '.default';
  return CANONICAL.get(name.toLowerCase()) ?? name;
}

/** The resource of a client-credentials scope ("{resource}/.default"); undefined when not of that form. */
export function defaultScopeResource(raw: string): string | undefined {
  const items = raw.split(/\s+/).filter(Boolean);
  if (items.length !== 1 || !items[0]!.toLowerCase().endsWith('/.default')) return undefined;
  return items[0]!.slice(0, -'/.default'.length);
}

export function isGraphResource(resource: string): boolean {
  const r = resource.toLowerCase().replace(/\/+$/, '');
  return r === GRAPH_RESOURCE || r === GRAPH_APP_ID;
}

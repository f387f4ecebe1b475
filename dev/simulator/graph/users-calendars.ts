// /me and /users/{id|upn}: the user object, mailboxSettings, and calendars (a lazily created default
// "Calendar" for every mailbox, rooms included, plus secondary calendars).
import { workingHoursJson } from './working-hours.js';
import type { SimUser } from '../state.js';
import { GraphHttpError, badRequest, itemNotFound, unknownProperty } from './errors.js';
import { GRAPH_ROOT, applySelect } from './odata.js';
import type { GraphRequest } from './pipeline.js';
import { WRITE_ROLES, type CalendarRole, type StoredCalendar } from './store.js';
import type { GraphWorld } from './world.js';

export function userJson(user: SimUser): Record<string, unknown> {
  return {
    '@odata.context': `${GRAPH_ROOT}/$metadata#users/$entity`,
    businessPhones: [],
    displayName: user.displayName,
    givenName: user.kind === 'room' ? null : user.displayName.split(' ')[0],
    jobTitle: null,
    mail: user.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: 'en-US',
    surname: user.kind === 'room' ? null : (user.displayName.split(' ').slice(1).join(' ') || null),
    userPrincipalName: user.userPrincipalName,
    id: user.id,
  };
}

/**
 * A calendar as its owner sees it, or (with `sharedAs`) as a sharee or delegate sees it in their own list:
 * the owner named, editable only with a write or delegate role, not shareable further, never their default
 * (https://learn.microsoft.com/en-us/graph/outlook-share-or-delegate-calendar#sharee-or-delegate-get-properties-of-shared-or-delegated-calendar).
 * The simulator lists it under the owner's calendar id, the id requests to the owner's mailbox take.
 */
export function calendarJson(calendar: StoredCalendar, owner: SimUser, sharedAs?: CalendarRole): Record<string, unknown> {
  const own = {
    '@odata.id': `${GRAPH_ROOT}/users('${owner.id}')/calendars('${calendar.id}')`,
    id: calendar.id,
    name: calendar.name,
    color: calendar.color,
    hexColor: '',
    isDefaultCalendar: calendar.isDefault,
    changeKey: calendar.changeKey,
    canShare: owner.kind === 'user',
    canViewPrivateItems: true,
    canEdit: true,
    allowedOnlineMeetingProviders: calendar.allowedOnlineMeetingProviders,
    defaultOnlineMeetingProvider: calendar.defaultOnlineMeetingProvider,
    isTallyingResponses: true,
    isRemovable: !calendar.isDefault,
    owner: { name: owner.displayName, address: owner.mail },
  };
  if (!sharedAs) return own;
  return {
    ...own,
    isDefaultCalendar: false,
    canShare: false,
    canViewPrivateItems: sharedAs === 'delegateWithPrivateEventAccess',
    canEdit: WRITE_ROLES.includes(sharedAs),
    isRemovable: true,
  };
}

/** The calendar a route names: {calendarId} when present, else the default one. 404 if not the mailbox's. */
export function calendarOf(world: GraphWorld, req: GraphRequest): StoredCalendar {
  const id = req.params.calendarId;
  if (id === undefined) return world.store.defaultCalendar(req.mailbox);
  world.store.calendarsOf(req.mailbox);
  const calendar = world.store.calendar(req.mailbox.id, id);
  if (!calendar) throw itemNotFound();
  return calendar;
}

export function registerUserAndCalendarRoutes(world: GraphWorld): void {
  const { pipeline, store } = world;
  pipeline.route('GET', '/me', 'user', (req) => ({ status: 200, body: userJson(req.mailbox) }));
  // GET /users?$filter=mail eq '...' (or userPrincipalName eq '...'): how a mailbox is found by its address;
  // /users/{x} itself takes only an object id or a UPN. https://learn.microsoft.com/en-us/graph/api/user-list
  pipeline.route('GET', '/users', 'any', (req) => {
    const granted = req.caller.userId ? req.caller.scopes : req.caller.roles;
    if (!['User.ReadBasic.All', 'User.Read.All', 'Directory.Read.All'].some((p) => granted.has(p)))
      throw new GraphHttpError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    const filter = req.query.get('$filter');
    const m = filter ? /^\s*(mail|userPrincipalName)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter) : null;
    if (filter && !m) throw badRequest(`Unsupported or invalid query filter clause specified for property of resource 'User'.`, 'Request_UnsupportedQuery');
    const wanted = m?.[2]!.replace(/''/g, "'").toLowerCase();
    const users = [...world.state.directory.users.values()].filter(
      (u) => u.tenantId === req.caller.tenantId && (!m || (m[1]!.toLowerCase() === 'mail' ? u.mail : u.userPrincipalName) === wanted),
    );
    return {
      status: 200,
      body: { '@odata.context': `${GRAPH_ROOT}/$metadata#users`, value: users.slice(0, 100).map(({ id }) => applySelect(userJson(world.state.directory.users.get(id)!), req.query.get('$select'))) },
    };
  });
  pipeline.route('GET', '/me/mailboxSettings', 'mailboxSettings', (req) => ({
    status: 200,
    body: {
      '@odata.context': `${GRAPH_ROOT}/$metadata#users('${req.mailbox.id}')/mailboxSettings`,
      timeZone: req.mailbox.timeZone,
      dateFormat: 'yyyy-MM-dd',
      timeFormat: 'HH:mm',
      userPurpose: req.mailbox.kind === 'room' ? 'room' : 'user',
      workingHours: workingHoursJson(req.mailbox),
    },
  }));
  pipeline.route('GET', '/me/calendars', 'read', (req) => ({
    status: 200,
    body: {
      '@odata.context': `${GRAPH_ROOT}/$metadata#users('${req.mailbox.id}')/calendars`,
      value: [
        ...store.calendarsOf(req.mailbox).map((c) => calendarJson(c, req.mailbox)),
        // Calendars shared with or delegated to this user (accepted in Outlook) follow their own.
        ...store.sharedWith(req.mailbox.id).flatMap(({ ownerId, calendarId, role }) => {
          const owner = world.state.directory.users.get(ownerId);
          return owner ? [calendarJson(store.calendar(ownerId, calendarId)!, owner, role)] : [];
        }),
      ],
    },
  }));
  pipeline.route('GET', '/me/calendar', 'read', (req) => ({ status: 200, body: calendarJson(store.defaultCalendar(req.mailbox), req.mailbox) }));
  pipeline.route('GET', '/me/calendars/:calendarId', 'read', (req) => ({ status: 200, body: calendarJson(calendarOf(world, req), req.mailbox) }));
  pipeline.route('POST', '/me/calendars', 'write', (req) => {
    const body = req.json<Record<string, unknown>>();
    for (const key of Object.keys(body ?? {}))
      if (!['name', 'color', 'hexColor'].includes(key) && !key.startsWith('@odata.')) throw unknownProperty(key, 'microsoft.graph.calendar');
    if (typeof body?.name !== 'string' || !body.name.trim()) throw badRequest('The calendar name is required.', 'ErrorInvalidRequest');
    if (store.calendarsOf(req.mailbox).some((c) => c.name.toLowerCase() === String(body.name).toLowerCase()))
      throw new GraphHttpError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
    const calendar = store.addCalendar(req.mailbox, body.name, typeof body.color === 'string' ? body.color : 'auto');
    return { status: 201, body: calendarJson(calendar, req.mailbox) };
  });
}

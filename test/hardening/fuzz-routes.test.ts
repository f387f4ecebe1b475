// Every HTTP route of functions/definitions.ts and the local console, fuzzed over real HTTP on the local host (Azurite, the
// simulator): random and adversarial methods, Authorization values, headers, query strings and bodies.
// Whatever arrives: never a 5xx or a dropped connection; JSON routes answer problem+json naming the field
// at fault; browser routes answer an HTML page with the security headers; Graph's endpoints answer only
// their documented statuses; and no table row changes (snapshot of this file's own tables before/after).
// Half the cases carry a valid key, so validation beyond authentication is reached.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, type ConnectedUser } from '../support/connect-user.js';
import { api, bookingBody } from '../bookings/support.js';
import { peekSyncQueue } from '../sync/support.js';
import type { HttpFunctionDefinition } from '../../shared/runtime/function-definitions.js';
import { fillRoute, httpRoutes, missingSecurityHeaders, newTablePrefix, rawRequest, routeKind, routeParams, snapshotTables, type RawResponse } from './support.js';

const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS_PER_ROUTE ?? 30);
// A fixed seed per route keeps `npm test` reproducible; FUZZ_SEED=<n> replays another, FUZZ_SEED=random explores.
const SEED = process.env.FUZZ_SEED === 'random' ? undefined : Number(process.env.FUZZ_SEED ?? 20261122);
const seedFor = (route: string): number | undefined =>
  SEED === undefined ? undefined : [...route].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) | 0, SEED);
const prefix = newTablePrefix();

let app: AppHost;
let mine: ConnectedUser; // the fuzzing client's own connection and booking
let other: ConnectedUser; // another client's
let myBookingId: string;
let otherBookingId: string;

beforeAll(async () => {
  process.env.TABLE_NAME_PREFIX = prefix;
  // HTTP functions only: no timer or queue function may change rows while the snapshots are compared.
  app = await startAppHost({ definitions: httpRoutes });
  mine = await connectUser(app);
  other = await connectUser(app);
  const a = await api(app, mine.apiKey, 'POST', 'bookings', bookingBody(mine));
  const b = await api(app, other.apiKey, 'POST', 'bookings', bookingBody(other));
  expect([a.status, b.status]).toEqual([201, 201]);
  myBookingId = a.body.bookingId;
  otherBookingId = b.body.bookingId;
}, 90_000);
afterAll(async () => {
  await app?.close();
  delete process.env.TABLE_NAME_PREFIX;
});

// ---- what is sent ------------------------------------------------------------------------------------

const printable = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });
const anyText = (maxLength: number) => fc.string({ unit: 'binary', maxLength });

/** A value of another JSON type than `like`, never null (some fields are nullable): always invalid there. */
function wrongTypeFor(like: unknown): fc.Arbitrary<unknown> {
  const deep = (n: number) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown;
  const candidates: fc.Arbitrary<unknown>[] = [
    fc.constant({}),
    fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}')),
    fc.constant(deep(200)),
    fc.constantFrom(true, false),
    fc.constantFrom(-0, 1e308, -1e308, 0.5, Number.MAX_SAFE_INTEGER + 2),
    fc.constantFrom('NaN', '-0', '1e309', 'Infinity', 'x'.repeat(70_000)),
    fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
  ];
  const type = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v);
  // A very long string is still a string: only offered where strings are wrong.
  return fc.oneof(...candidates).filter((v) => type(v) !== type(like));
}

interface Ctx {
  myConnection: string;
  myBooking: string;
}

/** A valid body per JSON route, so that mutating one field reaches that field's validation. */
const TEMPLATES: Record<string, (ctx: Ctx) => Record<string, unknown>> = {
  'POST connect-links': () => ({ externalUserId: 'fuzz-user', returnUrl: 'https://booking.example/back', loginHint: 'a@b.example', pickCalendars: false }),
  'POST bookings': (c) => ({ bookingId: `fz-${randomUUID()}`, connectionId: c.myConnection, subject: 'S', start: '2031-01-01T09:00:00', end: '2031-01-01T10:00:00', timeZone: 'Europe/London', reminderMinutes: 5, attendees: [{ email: 'x@y.example' }], categories: ['c'] }),
  'PATCH bookings/{bookingId}': () => ({ subject: 'S2', start: '2031-01-02T09:00:00', end: '2031-01-02T10:00:00', timeZone: 'UTC', force: false }),
  'DELETE bookings/{bookingId}': () => ({ message: 'sorry' }),
  'PATCH connections/{id}': () => ({ defaultReminderMinutes: 10, busyShowAs: ['busy'] }),
  'POST availability': (c) => ({ connectionIds: [c.myConnection], start: '2031-01-01T00:00:00Z', end: '2031-01-02T00:00:00Z', durationMinutes: 30, slotMinutes: 30 }),
  'POST manage/clients': () => ({ name: 'fuzz', allowedReturnOrigins: ['https://fuzz.example'], webhookUrl: 'https://fuzz.example/hook' }),
  'POST manage/system/pause': () => ({ reason: 'fuzz', retryAfterSeconds: 60 }),
  'POST manage/clients/{clientId}/rotate-key': () => ({ revokePrevious: false }),
  'POST manage/clients/{clientId}/rotate-signing-secret': () => ({ revokePrevious: false }),
};

/** Routes that change state with an empty or valid body: a valid key goes only with a body sure to be refused. */
const MUTATES_WHEN_VALID = new Set(['POST manage/system/pause', 'DELETE connections/{id}', 'DELETE bookings/{bookingId}', 'PATCH connections/{id}', 'PATCH bookings/{bookingId}']);

interface Body {
  bytes?: Buffer;
  /** fast-check prints this instead of the bytes. */
  [fc.toStringMethod]?: () => string;
  label: string;
  /** Refused whatever the schema: wrong JSON type at the top, bytes that are not JSON, or one field of a wrong type. */
  surelyInvalid: boolean;
  /** The template field given a wrong type, when that is what this body is. */
  mutatedField?: string;
}

function bodies(key: string, ctx: Ctx): fc.Arbitrary<Body> {
  const text = (label: string, surelyInvalid: boolean) => (s: string): Body => ({ bytes: Buffer.from(s, 'utf8'), label, surelyInvalid });
  const options: fc.Arbitrary<Body>[] = [
    fc.constant<Body>({ label: 'none', surelyInvalid: false }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => text('json', false)(JSON.stringify(v))),
    fc.constantFrom('[]', '"x"', '42', 'true', '[{"a":1}]').map(text('top-level non-object', true)),
    fc.constantFrom('{', '{"a":', '\u0000', 'NaN', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}').map(text('not json', true)),
    fc.constantFrom(5_000, 50_000).map((n) => text('deep array', true)('['.repeat(n) + ']'.repeat(n))),
    fc.constantFrom(2_000, 20_000).map((n) => text('deep object', false)('{"a":'.repeat(n) + '1' + '}'.repeat(n))),
    fc.constantFrom(
      '{"__proto__":{"polluted":"yes"}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"prototype":{"polluted":"yes"},"__proto__":null}',
      '{"a":1e309,"b":-0,"c":"NaN","d":1e-400,"e":9007199254740993}',
    ).map(text('prototype keys and numbers', false)),
    fc.constantFrom(60_000, 70_000, 300_000).map((n) => text('huge string', false)(JSON.stringify({ x: 'a'.repeat(n) }))),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({ bytes: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(b), Buffer.from('"}')]), label: 'invalid utf-8', surelyInvalid: true })),
    anyText(200).map(text('random text', false)),
  ];
  const template = TEMPLATES[key];
  if (template) {
    options.push(
      fc.integer({ min: 0, max: 1000 }).chain((i) => {
        const valid = template(ctx);
        const field = Object.keys(valid)[i % Object.keys(valid).length]!;
        return wrongTypeFor(valid[field]).map((wrong): Body => ({ bytes: Buffer.from(JSON.stringify({ ...valid, [field]: wrong })), label: `template with ${field} wrong`, surelyInvalid: true, mutatedField: field }));
      }),
    );
    // Weighted twice: this is what reaches each field's validation.
    options.push(options[options.length - 1]!);
  }
  return fc.oneof(...options).map((b) => ({ ...b, [fc.toStringMethod]: () => `${b.label} (${b.bytes?.length ?? 0} bytes: ${b.bytes?.subarray(0, 120).toString('utf8') ?? ''})` }));
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/merge-patch+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'text/html', ''];

function queries(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(''),
    fc.dictionary(printable(12).filter((k) => k.length > 0), anyText(40), { maxKeys: 4 }).map((d) => `?${new URLSearchParams(d).toString()}`),
    fc.constantFrom(
      '?start=1e309&end=NaN',
      '?start=2031-01-01T00:00:00Z&end=2031-01-02T00:00:00Z',
      '?start=-0&end=Infinity&start=2031-01-01T00:00:00Z',
      '?externalUserId=' + 'x'.repeat(5000),
      '?externalUserId=%00%C3%28',
      '?%ZZ=%C3%28&a=%',
      '?__proto__[polluted]=1&constructor[prototype][polluted]=1',
      '?validationToken=' + encodeURIComponent('<script>alert(1)</script>&"\''),
      '?validationToken=' + 'v'.repeat(5000),
      '?validationToken=',
      '?code=abc&state=' + 'x'.repeat(64),
      '?error=access_denied&error_description=%3Cb%3Ehi%3C%2Fb%3E&state=abc',
      '?pageSize=0&clientId=../x',
      '?pageSize=1e309&continuationToken=%FF',
    ),
  );
}

function paramValues(def: HttpFunctionDefinition, key: string, ctx: Ctx & { otherConnection: string; otherBooking: string }): fc.Arbitrary<Record<string, string>> {
  const names = routeParams(def.route);
  const admin = def.description?.auth === 'adminKey';
  const value = (name: string) => {
    const generic: fc.Arbitrary<string>[] = [
      fc.uuid(),
      fc.stringMatching(/^[0-9a-f]{20}$/),
      fc.constantFrom('%2e%2e', '..%2F..%2Fmanage', '%00', 'a'.repeat(1500), '%E2%80%AE', 'bk-1', '%3Cscript%3E', 'NaN', '-0', '__proto__', 'constructor'),
      anyText(60).filter((s) => s.length > 0).map((s) => encodeURIComponent(s)),
    ];
    // Another client's real ids: must be 404 for this client, never its data.
    if (!admin && (name === 'id' || name === 'connectionId')) generic.push(fc.constant(ctx.otherConnection));
    if (!admin && name === 'bookingId') generic.push(fc.constant(ctx.otherBooking));
    // The caller's own ids (to reach body validation), except where a valid request would change state.
    if (name === 'id' && key !== 'DELETE connections/{id}') generic.push(fc.constant(ctx.myConnection));
    if (name === 'bookingId') generic.push(fc.constant(ctx.myBooking));
    return fc.oneof(...generic);
  };
  return fc.record(Object.fromEntries(names.map((n) => [n, value(n)])) as Record<string, fc.Arbitrary<string>>);
}

interface Case {
  method: string;
  params: Record<string, string>;
  query: string;
  validAuth: boolean;
  auth?: string;
  contentType: string;
  extraHeaders: Record<string, string>;
  body: Body;
}

function cases(def: HttpFunctionDefinition): fc.Arbitrary<Case> {
  const key = `${def.methods[0]} ${def.route}`;
  const ctx = { myConnection: mine.connection.id, myBooking: myBookingId, otherConnection: other.connection.id, otherBooking: otherBookingId };
  const admin = def.description?.auth === 'adminKey';
  const validKey = admin ? app.adminKey : mine.apiKey;
  const badAuth = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'Bearer null', 'Bearer undefined', `Bearer ${'A'.repeat(600)}`, `Bearer ${'x'.repeat(7000)}`),
    fc.constant(`Bearer ${admin ? mine.apiKey : app.adminKey}`),
    fc.constant(`Bearer ${other.apiKey.slice(0, -1)}${other.apiKey.endsWith('A') ? 'B' : 'A'}`),
    fc.constant(`Bearer cb_live_${mine.client.clientId}_${'A'.repeat(43)}`),
    fc.constant(`bearer ${validKey} trailing`),
    printable(80).map((s) => `Bearer ${s}`),
  );
  return fc
    .record({
      method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...def.methods) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'FOO', 'M-SEARCH') }),
      params: paramValues(def, key, ctx),
      query: queries(),
      validAuth: fc.boolean(),
      auth: badAuth,
      contentType: fc.oneof({ weight: 3, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
      extraHeaders: fc.oneof(
        fc.constant({}),
        fc.record({ 'X-Fuzz': printable(8000) }),
        fc.constant({ 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'javascript', Origin: 'https://evil.example', Accept: 'text/html' }),
        fc.constant({ 'Accept-Charset': 'utf-16', 'Accept-Encoding': 'gzip, br', 'If-Match': '*', 'X-HTTP-Method-Override': 'DELETE' }),
      ),
      body: bodies(key, ctx),
    })
    .map((c) => {
      const mutating = MUTATES_WHEN_VALID.has(`${c.method} ${def.route}`);
      const ownTarget = Object.values(c.params).some((v) => v === ctx.myConnection || v === ctx.myBooking);
      // A request that could be valid must not carry the valid key (and to the caller's own resource).
      const safe = !mutating || (c.body.surelyInvalid && JSON_TYPE.test(c.contentType));
      // resume reads no body: any request with the admin key is valid, and writes the switch.
      const never = `${c.method} ${def.route}` === 'POST manage/system/resume';
      const validAuth = c.validAuth && !never && (safe || !ownTarget || admin) && (safe || !(admin && mutating));
      return { ...c, validAuth, auth: validAuth ? `Bearer ${validKey}` : c.auth };
    });
}

// ---- what must come back -----------------------------------------------------------------------------

function parseProblem(res: RawResponse): Record<string, unknown> {
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(body.status).toBe(res.status);
  expect(typeof body.code).toBe('string');
  expect(typeof body.type).toBe('string');
  return body;
}

function checkResponse(fuzzed: HttpFunctionDefinition, c: Case, res: RawResponse): void {
  // Another method may belong to another function on the same route: that one answers.
  const def = httpRoutes.find((d) => d.route === fuzzed.route && d.methods.includes(c.method as never)) ?? fuzzed;
  const where = `${c.method} ${def.route} (${c.body.label}) -> ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBeGreaterThanOrEqual(200);
  expect(res.status, where).toBeLessThan(500);
  if (!def.methods.includes(c.method as never)) {
    // The local host: 405 with Allow (the Azure host says 404), never the handler; Node's HTTP parser
    // refuses methods it does not know with 400.
    expect([400, 404, 405], where).toContain(res.status);
    return;
  }
  const kind = routeKind(def);
  if (kind === 'console') {
    // Pages, assets and form posts of a development tool: any page it serves carries the security headers.
    if (/^text\/html/.test(String(res.headers['content-type']))) expect(missingSecurityHeaders(res.headers), where).toEqual([]);
    // A 200 is a page or an asset: it has a body and says what it is.
    if (res.status === 200) {
      expect(res.body.length, where).toBeGreaterThan(0);
      expect(res.headers['content-type'], where).toBeDefined();
    }
    return;
  }
  if (kind === 'html') {
    expect(res.status, where).not.toBe(200); // nothing random can be a valid link, state or picker session
    expect(String(res.headers['content-security-policy']), where).not.toMatch(/script-src(?![^;]*'none')/);
    expect(missingSecurityHeaders(res.headers), where).toEqual([]);
    if (res.status >= 400) expect(String(res.headers['content-type']), where).toMatch(/^text\/html/);
    expect(res.text, where).not.toMatch(/<script/i);
    return;
  }
  if (kind === 'graph') {
    const token = new URLSearchParams(c.query.slice(1)).get('validationToken');
    expect([200, 202, 400, 403, 413, 415], where).toContain(res.status);
    if (token !== null) {
      expect(String(res.headers['content-type']), where).toMatch(/^text\/plain/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      if (res.status === 200) expect(res.text, where).toBe(token);
      return;
    }
    if (res.status >= 400) parseProblem(res);
    return;
  }
  if (res.status >= 400) {
    const problem = parseProblem(res);
    // A field is named unless the body as a whole is of the wrong JSON type.
    const wholeBody = c.method !== 'GET' && c.body.bytes !== undefined && !/^\s*\{/.test(c.body.bytes.toString('utf8'));
    if (problem.code === 'invalid_field' && !wholeBody) expect(problem.field, where).toEqual(expect.stringMatching(/.+/));
    if (res.status === 415) expect(problem.field, where).toBe('content-type');
    // A wrong value big enough to push the body past the route's size limit is rightly refused whole (413);
    // no route's limit is under 1 KiB, so a smaller body refused as too large would be a bug.
    const tooLarge = res.status === 413 && problem.code === 'body_too_large';
    if (tooLarge) expect(c.body.bytes?.length ?? 0, where).toBeGreaterThan(1024);
    // Templates are shaped for the route's first method; another method's schema may refuse another key first.
    const templateMethod = c.method === def.methods[0];
    const reached = c.validAuth && JSON_TYPE.test(c.contentType) && c.body.mutatedField && !tooLarge && templateMethod;
    const ownOrNone = Object.values(c.params).every((v) => v === mine.connection.id || v === myBookingId);
    if (reached && ownOrNone) {
      // One field of a valid body has the wrong type: 400 naming exactly that field.
      expect(res.status, where).toBe(400);
      expect(String(problem.field), where).toMatch(new RegExp(`^${c.body.mutatedField}(\\.|$)`));
    }
  } else if (res.text.length > 0) {
    expect(String(res.headers['content-type']), where).toMatch(/json/);
    JSON.parse(res.text);
  }
}

/** The console's browser sessions: a request without its cookie legitimately starts one. */
const consoleSessions = (table: string, row: Record<string, unknown>) => table === 'console' && row.partitionKey === 'session';

function send(def: HttpFunctionDefinition, c: Case): Promise<RawResponse> {
  const headers: Record<string, string> = { ...c.extraHeaders };
  if (c.auth !== undefined) headers.Authorization = c.auth;
  if (c.contentType) headers['Content-Type'] = c.contentType;
  const path = `/api/${fillRoute(def.route, c.params)}${c.query}`;
  return rawRequest(app.url, c.method, path, headers, c.method === 'GET' || c.method === 'HEAD' ? undefined : c.body.bytes);
}

describe('every HTTP route, fuzzed', () => {
  it('covers every HTTP route of functions/definitions.ts and the local console', () => {
    expect(httpRoutes.length).toBeGreaterThanOrEqual(25);
    for (const kind of ['html', 'graph', 'json']) expect(httpRoutes.some((d) => routeKind(d) === kind)).toBe(true);
  });

  for (const def of httpRoutes) {
    it(`${def.methods.join('/')} /api/${def.route}: no 5xx, documented error shapes, no state change`, async () => {
      const before = await snapshotTables(app.services.config.storage, prefix, consoleSessions);
      const queueBefore = await peekSyncQueue(app.services);
      await fc.assert(
        fc.asyncProperty(cases(def), async (c) => {
          checkResponse(def, c, await send(def, c));
        }),
        { numRuns: RUNS_PER_ROUTE, seed: seedFor(`${def.methods.join('/')} ${def.route}`) },
      );
      expect(await snapshotTables(app.services.config.storage, prefix, consoleSessions)).toEqual(before);
      expect(await peekSyncQueue(app.services)).toEqual(queueBefore);
      // Nothing parsed from a request reached Object.prototype (the app runs in this process).
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }, 120_000);
  }
});

// The local console: a page that walks through the whole product against the Microsoft 365 simulator. The
// local host serves these functions beside the app's only when the simulator stands in (dev/local-app.ts);
// they are not in functions/definitions.ts, so they never ship to Azure.
import type { HttpRequest } from '@azure/functions';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { canonicalRedirect, failureText, notFound, sameOrigin, sessionCookie, sessionOf, withServices } from './console-http.js';
import { CONSOLE_PATH } from './paths.js';
import { consoleFragment, consoleHeaders, consolePage } from './page.js';
import { liveRegions, renderConsole } from './render.js';
import { deleteSession, emptySession, saveSession, type ConsoleSession } from './session-store.js';
import { SimulatorControl } from './simulator-control.js';
import { readConsoleView } from './view.js';
import {
  addOutlookEvent,
  completeConnect,
  consoleContext as contextWith,
  createBooking,
  createConnectLink,
  createDemoClient,
  disconnectCalendar,
} from './walkthrough.js';
import { MAX_WEBHOOK_BYTES, receiveConsoleWebhook } from './webhook-receiver.js';
import { addDays, isoDate, parseIsoDate, todayIn } from './week-grid.js';
import { browserHandler } from '../../shared/http/browser-handler.js';
import { redirect } from '../../shared/http/html.js';
import type { HttpFunctionDefinition } from '../../shared/runtime/function-definitions.js';
import type { Services } from '../../shared/services.js';

const MAX_FORM_BYTES = 8 * 1024;

// A Map, so that a name such as `constructor` finds nothing.
const ASSETS = new Map<string, { type: string; body: string }>([
  ['console.css', { type: 'text/css; charset=utf-8', body: CONSOLE_CSS }],
  ['console.js', { type: 'text/javascript; charset=utf-8', body: CONSOLE_JS }],
]);

/** The week to show after an action on `day`: the one shown (from, or the default from today) unless the day is outside it. */
function weekFor(from: string | null, day: string | null, zone: string): string | undefined {
  const first = parseIsoDate(from);
  const target = parseIsoDate(day);
  const start = first ?? todayIn(zone);
  if (!target || (isoDate(target) >= isoDate(start) && isoDate(target) < isoDate(addDays(start, 7)))) return first ? isoDate(first) : undefined;
  return isoDate(target);
}

/** The console's functions, playing "the user in Outlook" through the simulator at `simulatorUrl`. */
export function consoleFunctions(simulatorUrl: string): HttpFunctionDefinition[] {
  const simulator = new SimulatorControl(simulatorUrl);
  const consoleContext = (services: Services, session: ConsoleSession) => contextWith(services, session, simulator);

  const consolePageFunction: HttpFunctionDefinition = {
    kind: 'http',
    name: 'consolePage',
    route: 'console',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: browserHandler(withServices(async (request, services) => {
      const elsewhere = canonicalRedirect(services, request);
      if (elsewhere) return elsewhere;
      const { session } = await sessionOf(services, request);
      const from = request.query.get('from') ?? '';
      const view = await readConsoleView(consoleContext(services, session), from);
      const html = renderConsole(view, from);
      if (session.flash || session.revealApiKey) {
        // One-shot: the message and the API key are shown on this render only.
        await saveSession(services, { ...session, flash: undefined, revealApiKey: undefined });
      }
      const live = `${CONSOLE_PATH}/live${from ? `?from=${encodeURIComponent(from)}` : ''}`;
      return { ...consolePage('Calendar Bridge console', html, { liveUrl: live }), cookies: [sessionCookie(session)] };
    })),
  };

  const consoleLiveFunction: HttpFunctionDefinition = {
    kind: 'http',
    name: 'consoleLive',
    route: 'console/live',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: browserHandler(withServices(async (request, services) => {
      const { session } = await sessionOf(services, request);
      const view = await readConsoleView(consoleContext(services, session), request.query.get('from'), { live: true });
      const live = liveRegions(view);
      return consoleFragment(`${live.busy}${live.grid}${live.status}`);
    })),
  };

  const consoleAssetFunction: HttpFunctionDefinition = {
    kind: 'http',
    name: 'consoleAsset',
    route: 'console/assets/{name}',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: withServices(async (request) => {
      const asset = ASSETS.get(request.params.name ?? '');
      if (!asset) return notFound();
      return { status: 200, headers: consoleHeaders(asset.type), body: asset.body };
    }),
  };

  const consoleActionFunction: HttpFunctionDefinition = {
    kind: 'http',
    name: 'consoleAction',
    route: 'console/actions/{action}',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: browserHandler(withServices(async (request, services) => {
      if (!sameOrigin(request)) return { status: 403, headers: { 'Cache-Control': 'no-store' } };
      const form = await readForm(request);
      const { session } = await sessionOf(services, request);
      const ctx = consoleContext(services, session);
      const action = request.params.action ?? '';
      let anchor = '';
      let from = parseIsoDate(form.get('from')) ? form.get('from')! : undefined;
      try {
        switch (action) {
          case 'client':
            await createDemoClient(ctx);
            session.flash = { kind: 'ok', text: 'Demo booking system created. Copy its API key now: it is not shown again.' };
            anchor = 'step-client';
            break;
          case 'connect-link':
            await createConnectLink(ctx, form);
            session.flash = { kind: 'ok', text: `Connect link created for ${session.userPrincipalName}: open it to sign in and consent.` };
            anchor = 'step-connect';
            break;
          case 'booking': {
            const booking = await createBooking(ctx, form);
            session.flash = { kind: 'ok', text: `Booking ${booking.bookingId} created: the event is in ${session.userPrincipalName}'s Outlook calendar.` };
            from = weekFor(form.get('from'), form.get('date'), session.timeZone ?? 'UTC');
            anchor = 'step-booking';
            break;
          }
          case 'outlook-event':
            await addOutlookEvent(ctx, form);
            session.flash = { kind: 'ok', text: `"${form.get('subject')}" added in Outlook. Watch the busy time and the webhook arrive.` };
            from = weekFor(form.get('from'), form.get('date'), session.timeZone ?? 'UTC');
            anchor = 'step-outlook';
            break;
          case 'disconnect':
            await disconnectCalendar(ctx);
            session.flash = { kind: 'ok', text: 'Disconnected. The events already written stay in Outlook.' };
            anchor = 'step-disconnect';
            break;
          case 'reset': {
            await deleteSession(services, session);
            const fresh = emptySession();
            await saveSession(services, fresh);
            return { ...redirect(CONSOLE_PATH, 303), cookies: [sessionCookie(fresh)] };
          }
          default:
            return notFound();
        }
      } catch (error) {
        session.flash = { kind: 'error', text: failureText(error) };
      }
      await saveSession(services, session);
      return { ...redirect(`${CONSOLE_PATH}${from ? `?from=${from}` : ''}${anchor ? `#${anchor}` : ''}`, 303), cookies: [sessionCookie(session)] };
    })),
  };

  const consoleConnectedFunction: HttpFunctionDefinition = {
    kind: 'http',
    name: 'consoleConnected',
    route: 'console/connected',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: browserHandler(withServices(async (request, services) => {
      const { session } = await sessionOf(services, request);
      completeConnect(consoleContext(services, session), request.query);
      await saveSession(services, session);
      return { ...redirect(`${CONSOLE_PATH}#step-connection`, 303), cookies: [sessionCookie(session)] };
    })),
  };

  const consoleWebhookFunction: HttpFunctionDefinition = {
    kind: 'http',
    name: 'consoleWebhook',
    route: 'console/webhooks/{receiverId}',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: withServices(async (request, services) => {
      const bytes = new Uint8Array(await request.arrayBuffer());
      if (bytes.byteLength > MAX_WEBHOOK_BYTES) return { status: 413 };
      const status = await receiveConsoleWebhook(services, request.params.receiverId ?? '', new TextDecoder().decode(bytes), Object.fromEntries(request.headers));
      return { status };
    }),
  };

  return [consolePageFunction, consoleLiveFunction, consoleAssetFunction, consoleActionFunction, consoleConnectedFunction, consoleWebhookFunction];
}

async function readForm(request: HttpRequest): Promise<URLSearchParams> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) return new URLSearchParams();
  const bytes = new Uint8Array(await request.arrayBuffer());
  return bytes.byteLength > MAX_FORM_BYTES ? new URLSearchParams() : new URLSearchParams(new TextDecoder().decode(bytes));
}


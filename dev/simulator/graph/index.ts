// The Graph v1.0 calendar subset of the Microsoft 365 simulator: builds the Graph world, registers the
// /v1.0 routes behind one pipeline and the /_sim/graph control API, and clears everything on reset.
// Graph's v1.0 endpoint: https://learn.microsoft.com/en-us/graph/use-the-api
import type { SimModule } from '../server.js';
import { registerGraphControl } from '../control-graph.js';
import { registerBatchRoute } from './batch.js';
import { DeltaTokens, registerCalendarViewRoutes } from './calendar-view.js';
import { registerEventRoutes } from './event-routes.js';
import { Meetings } from './meetings.js';
import { Notifier } from './notifications.js';
import { GraphPipeline } from './pipeline.js';
import { registerScheduleRoutes } from './schedule.js';
import { MailboxStore } from './store.js';
import { SubscriptionRegistry, registerSubscriptionRoutes } from './subscriptions.js';
import { Counters, Faults, MailboxThrottle } from './throttling.js';
import { registerUserAndCalendarRoutes } from './users-calendars.js';
import { registerMailRoutes } from './mail.js';
import type { GraphWorld } from './world.js';

export const graphModule: SimModule = (router, state) => {
  const counters = new Counters();
  const throttle = new MailboxThrottle(state.clock);
  const faults = new Faults(state.directory);
  const store = new MailboxStore(state.clock);
  const subscriptions = new SubscriptionRegistry(state);
  const notifier = new Notifier(state, subscriptions, faults);
  const world: GraphWorld = {
    state,
    store,
    pipeline: new GraphPipeline({
      state,
      counters,
      throttle,
      faults,
      // The calendar a route of another mailbox names: {calendarId}, or the default one for /calendar/....
      sharedCalendarRole: (req) => {
        const calendarId = req.params.calendarId ?? (/\/calendar(?:\/|$)/i.test(req.path) ? store.defaultCalendar(req.mailbox).id : undefined);
        return calendarId && req.caller.userId ? store.roleOf(req.mailbox.id, calendarId, req.caller.userId) : undefined;
      },
    }),
    counters,
    throttle,
    faults,
    delta: new DeltaTokens(state.clock),
    subscriptions,
    notifier,
    meetings: new Meetings(state, store),
  };
  store.onChange((change) => notifier.onChange(change));

  registerUserAndCalendarRoutes(world);
  registerEventRoutes(world);
  registerCalendarViewRoutes(world);
  registerScheduleRoutes(world);
  registerBatchRoute(world);
  registerSubscriptionRoutes(world);
  registerMailRoutes(world, router);
  router.on('*', '/v1.0/*', (req) => world.pipeline.handleHttp(req));
  registerGraphControl(router, world);

  state.resetHooks.push(() => {
    store.reset();
    counters.reset();
    throttle.reset();
    faults.list.length = 0;
    world.delta.reset();
    subscriptions.reset();
    notifier.reset();
    world.meetings.reset();
  });
};

// Everything the Graph side keeps, built once per simulator by index.ts and handed to each route file.
import type { SimState } from '../state.js';
import type { DeltaTokens } from './calendar-view.js';
import type { Meetings } from './meetings.js';
import type { Notifier } from './notifications.js';
import type { GraphPipeline } from './pipeline.js';
import type { MailboxStore } from './store.js';
import type { SubscriptionRegistry } from './subscriptions.js';
import type { Counters, Faults, MailboxThrottle } from './throttling.js';

export interface GraphWorld {
  state: SimState;
  store: MailboxStore;
  pipeline: GraphPipeline;
  counters: Counters;
  throttle: MailboxThrottle;
  faults: Faults;
  delta: DeltaTokens;
  subscriptions: SubscriptionRegistry;
  notifier: Notifier;
  meetings: Meetings;
}

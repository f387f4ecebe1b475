// The list of every function of the app, as it ships to Azure. Add a function by adding its file here.
import type { FunctionDefinition } from '../shared/runtime/function-definitions.js';
import { adminClientFunctions } from './adminClients.js';
import { authCallbackFunction } from './authCallback.js';
import { availabilityFunction } from './availability.js';
import { bookingFunctions } from './bookings.js';
import { busyFunction } from './busy.js';
import { connectFunction, connectPickerFunction } from './connect.js';
import { connectionFunctions } from './connections.js';
import { connectLinksFunction } from './connectLinks.js';
import { healthFunction } from './health.js';
import { openApiFunction } from './openapi.js';
import { adminWebhookFunctions } from './adminWebhooks.js';
import { adminSystemFunctions } from './adminSystem.js';
import { deliverWebhooksFunction } from './deliverWebhooks.js';
import { tokenKeepAliveFunction } from './tokenKeepAlive.js';
import { upkeepFunction } from './upkeep.js';
import { graphNotificationsFunction } from './graphNotifications.js';
import { graphLifecycleFunction } from './graphLifecycle.js';
import { syncCalendarsFunction } from './syncCalendars.js';
import { reconcileSubscriptionsFunction, renewSubscriptionsFunction } from './renewSubscriptions.js';
import { resyncCalendarsFunction } from './resyncCalendars.js';
import { pollSharedCalendarsFunction } from './pollSharedCalendars.js';
import { mailFunctions } from './mail.js';
import { connectionXoauth2Function } from './xoauth2.js';
import { spaceFunctions } from './spaces.js';
import { tenantConsentCallbackFunction } from './tenantConsentCallback.js';

export const definitions: readonly FunctionDefinition[] = [
  healthFunction,
  ...adminClientFunctions,
  connectLinksFunction,
  connectFunction,
  connectPickerFunction,
  authCallbackFunction,
  tenantConsentCallbackFunction,
  ...connectionFunctions,
  ...spaceFunctions,
  ...bookingFunctions,
  busyFunction,
  availabilityFunction,
  openApiFunction,
  ...adminWebhookFunctions,
  ...adminSystemFunctions,
  deliverWebhooksFunction,
  tokenKeepAliveFunction,
  upkeepFunction,
  graphNotificationsFunction,
  graphLifecycleFunction,
  syncCalendarsFunction,
  renewSubscriptionsFunction,
  reconcileSubscriptionsFunction,
  resyncCalendarsFunction,
  pollSharedCalendarsFunction,
  ...mailFunctions,
  connectionXoauth2Function,
];

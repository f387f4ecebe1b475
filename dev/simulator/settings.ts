// Switches of the simulator (Graph and identity). Every default is Microsoft's documented (or observed, when stricter) behaviour;
// a test or an experiment may loosen one through PATCH /_sim/graph/settings, never the app.
export interface SimSettings {
  /**
   * Accept requests Microsoft's reference does not document (per-calendar event subscriptions,
   * /me/calendar/calendarView/delta). Off: refused the way Graph refuses an unsupported resource.
   */
  allowUndocumented: boolean;
  /** Share of stale If-Match answers sent as 409 instead of 412 (both ErrorIrresolvableConflict). */
  conflictAs409Rate: number;
  /**
   * reauthorizationRequired at random times, per subscription and hour of sim time (0..1), on top of the
   * ones sent before a delegated subscription's access lapses.
   * https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events ("Be ready to handle
   * authorization challenges from once every few minutes for every subscription to rarely.")
   */
  reauthorizationRatePerHour: number;
  /**
   * Upper bound of the random delay before a change notification is sent, in ms. Delivery latency of
   * Outlook events is documented as "Unknown" (calendar: under a minute, 3 minutes at most):
   * https://learn.microsoft.com/en-us/graph/change-notifications-overview#latency
   */
  notificationLatencyMs: number;
  /**
   * Extra `updated` notifications per edit of an event: one update is seen to yield about three, and
   * "Change notifications might be delivered more than once":
   * https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks
   */
  extraUpdatedPerEdit: number;
  /**
   * Delay (sim clock, ms) between an administrator's consent and its application roles appearing in
   * client-credential tokens ("it can take some time for the permissions to propagate"; no figure is
   * documented, a minute is commonly seen):
   * https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent
   */
  appRoleConsentDelayMs: number;
  /**
   * How long a room's Resource Booking Attendant takes to process a meeting request (sim clock, ms): the
   * organizer's event shows the room's answer only then. Exchange processes requests asynchronously and
   * documents no time: https://learn.microsoft.com/en-us/powershell/module/exchangepowershell/set-calendarprocessing
   */
  roomResponseDelayMs: number;
  /**
   * How long Outlook takes to set up an event's online meeting (sim clock, ms). 0: the join information is
   * in the create's answer, as in Microsoft's example
   * (https://learn.microsoft.com/en-us/graph/outlook-calendar-online-meetings); more: `onlineMeeting` is
   * null until then, and the event changes (with a notification) when it is set.
   */
  onlineMeetingDelayMs: number;
}

export const DEFAULT_SIM_SETTINGS: SimSettings = {
  allowUndocumented: false,
  conflictAs409Rate: 0,
  reauthorizationRatePerHour: 0.05,
  notificationLatencyMs: 250,
  extraUpdatedPerEdit: 2,
  appRoleConsentDelayMs: 60_000,
  roomResponseDelayMs: 2_000,
  onlineMeetingDelayMs: 0,
};

// The app's metrics, by the names alert rules use. Instruments come from the global meter provider, which
// is a no-op until shared/telemetry/start.ts registers Azure Monitor's (only when Application Insights is
// configured); they are re-made when the provider changes, since instruments of the no-op provider stay
// no-ops. Attribute values are categories (a status, an outcome), never ids: each would be its own series.
import { metrics, type Counter, type Histogram, type Meter, type MeterProvider } from '@opentelemetry/api';

export const METER_NAME = 'calendar-bridge';

export const METRIC_NAMES = {
  /** Observable gauge, attribute `status`: connections by status. */
  connections: 'calendar_bridge.connections',
  /** Counter: connections that turned needs_reauth. */
  connectionsNeedsReauth: 'calendar_bridge.connections.needs_reauth',
  /** Observable gauge, attribute `state` = healthy | expiring | expired. */
  subscriptions: 'calendar_bridge.subscriptions',
  /** Counter: subscription renewals that failed. */
  subscriptionRenewalFailures: 'calendar_bridge.subscriptions.renewal_failures',
  /** Counter: change notifications that could not be processed. */
  notificationsFailed: 'calendar_bridge.notifications.failed',
  /** Histogram (ms): from Graph's change notification to the busy cache synced. */
  notificationToSyncLag: 'calendar_bridge.notification_to_sync_lag_ms',
  /** Counter, attribute `outcome`: webhook delivery attempts. */
  webhookDeliveries: 'calendar_bridge.webhook.deliveries',
  /** Counter: webhook events given up on (dead letters). */
  webhookDeadLetters: 'calendar_bridge.webhook.dead_letters',
  /** Counter: Entra refused the app's own credential (client secret) or could not be reached for it. */
  entraCredentialFailures: 'calendar_bridge.entra.credential_failures',
} as const;

interface Instruments {
  needsReauth: Counter;
  renewalFailures: Counter;
  notificationsFailed: Counter;
  lag: Histogram;
  deliveries: Counter;
  deadLetters: Counter;
  credentialFailures: Counter;
}

let current: { provider: MeterProvider; instruments: Instruments } | undefined;

/** The meter of the current global provider. */
export function appMeter(): Meter {
  return metrics.getMeterProvider().getMeter(METER_NAME);
}

function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (current?.provider !== provider) {
    const meter = provider.getMeter(METER_NAME);
    current = {
      provider,
      instruments: {
        needsReauth: meter.createCounter(METRIC_NAMES.connectionsNeedsReauth, { description: 'Connections that turned needs_reauth' }),
        renewalFailures: meter.createCounter(METRIC_NAMES.subscriptionRenewalFailures, { description: 'Graph subscription renewals that failed' }),
        notificationsFailed: meter.createCounter(METRIC_NAMES.notificationsFailed, { description: 'Change notifications that could not be processed' }),
        lag: meter.createHistogram(METRIC_NAMES.notificationToSyncLag, { description: 'Change notification received to busy cache synced', unit: 'ms' }),
        deliveries: meter.createCounter(METRIC_NAMES.webhookDeliveries, { description: 'Webhook delivery attempts by outcome' }),
        deadLetters: meter.createCounter(METRIC_NAMES.webhookDeadLetters, { description: 'Webhook events moved to dead letters' }),
        credentialFailures: meter.createCounter(METRIC_NAMES.entraCredentialFailures, { description: "Entra refused or could not check the app's credential" }),
      },
    };
  }
  return current.instruments;
}

export const recordNeedsReauth = (): void => instruments().needsReauth.add(1);
export const recordRenewalFailures = (count: number): void => {
  if (count > 0) instruments().renewalFailures.add(count);
};
export const recordNotificationFailed = (count = 1): void => instruments().notificationsFailed.add(count);
export const recordNotificationToSyncLag = (ms: number): void => instruments().lag.record(Math.max(0, ms));
/** One processed delivery message; `outcome` is the processor's (delivered, retry_scheduled, dead_lettered...). */
export const recordWebhookDelivery = (outcome: string): void => instruments().deliveries.add(1, { outcome });
export const recordDeadLetter = (): void => instruments().deadLetters.add(1);
/** Entra refused (or could not check) the app's own credential; `code` is the AADSTS or OAuth error code. */
export const countEntraCredentialFailure = (code: string): void => instruments().credentialFailures.add(1, { code });

// Log Analytics workspace + workspace-based Application Insights, and the alert rules for what hurts
// users. Local (instrumentation-key) ingestion is disabled: the app's identity sends telemetry with
// Entra auth (Monitoring Metrics Publisher, granted in role-assignments.bicep).
//
// The alerts are log search alerts over the app's OpenTelemetry metrics, which Application Insights
// stores in the customMetrics table (name, valueSum, valueMax, customDimensions):
// https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-create-log-alert-rule
// https://learn.microsoft.com/azure/azure-monitor/app/opentelemetry-add-modify#add-custom-metrics
import { resourceTags } from 'types.bicep'

@description('Azure region.')
param location string

@description('Tags put on every resource.')
param tags resourceTags

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param retentionInDays int

@description('E-mail address the alerts notify; empty: no action group.')
param alertEmail string

@description('Connections turning needs_reauth within an hour before that alert fires.')
@minValue(0)
param needsReauthAlertThreshold int

@description('The alert rules: one per way users get hurt.')
// Each rule: name, description (what it means, what to do), severity (0 critical .. 4 verbose), query
// returning rows with a numeric column "hurt", aggregation of "hurt" over the window, threshold (fires when
// the aggregate is greater), window (ISO 8601).
var alertRules = [
  {
    name: 'entra-credential-failing'
    description: 'Entra refuses the app\'s own credential (expired or wrong secret/certificate, federated credential missing, wrong client id). Every token request fails until an operator fixes the credential; user connections are not marked needs_reauth for it. See /api/health (entraCredential) and docs/deploy.md.'
    severity: 1
    query: 'customMetrics | where name == "calendar_bridge.entra.credential_failures" | extend hurt = valueSum'
    aggregation: 'Total'
    threshold: 0
    window: 'PT5M'
  }
  {
    name: 'webhook-dead-letters'
    description: 'Webhook deliveries to a booking system gave up after every retry (dead letters). Check the receiver and replay them with the admin API.'
    severity: 2
    query: 'customMetrics | where name == "calendar_bridge.webhook.dead_letters" | extend hurt = valueSum'
    aggregation: 'Total'
    threshold: 0
    window: 'PT15M'
  }
  {
    name: 'connections-needs-reauth'
    description: 'More connections than usual turned needs_reauth: their users must connect again before bookings reach their calendars.'
    severity: 3
    query: 'customMetrics | where name == "calendar_bridge.connections.needs_reauth" | extend hurt = valueSum'
    aggregation: 'Total'
    threshold: needsReauthAlertThreshold
    window: 'PT1H'
  }
  {
    name: 'notifications-failing'
    description: 'Graph change notifications could not be processed: busy time and calendar changes are going stale.'
    severity: 2
    query: 'customMetrics | where name == "calendar_bridge.notifications.failed" | extend hurt = valueSum'
    aggregation: 'Total'
    threshold: 0
    window: 'PT15M'
  }
  {
    name: 'subscriptions-not-renewed'
    description: 'Graph subscriptions failed to renew or have expired: push sync for those calendars has stopped.'
    severity: 2
    query: 'customMetrics | where name == "calendar_bridge.subscriptions.renewal_failures" or (name == "calendar_bridge.subscriptions" and tostring(customDimensions.state) == "expired") | extend hurt = iff(name == "calendar_bridge.subscriptions", valueMax, valueSum)'
    aggregation: 'Total'
    threshold: 0
    window: 'PT30M'
  }
]

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-${applicationInsightsName}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'calbridge'
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource alerts 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for rule in alertRules: {
    name: '${applicationInsightsName}-${rule.name}'
    location: location
    tags: tags
    properties: {
      displayName: 'Calendar Bridge: ${rule.name}'
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        applicationInsights.id
      ]
      evaluationFrequency: 'PT5M'
      windowSize: rule.window
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: rule.aggregation
            metricMeasureColumn: 'hurt'
            operator: 'GreaterThan'
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: empty(alertEmail) ? [] : [actionGroup.id]
      }
    }
  }
]

// The connection string is deliberately not an output: the function app module reads it from the
// resource itself.
@description('Name of the Application Insights component.')
output applicationInsightsName string = applicationInsights.name
@description('Names of the alert rules.')
output alertRuleNames string[] = [for (rule, i) in alertRules: alerts[i].name]

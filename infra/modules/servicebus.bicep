// Service Bus namespace of the onboarding app: queue `onboarding-requests` (ticketing systems
// post onboarding requests; the Function App's Service Bus trigger reads it) and topic
// `onboarding-events` (status notifications; one subscription per consumer).
// Local (SAS) authentication is disabled: senders and receivers authenticate with Entra ID
// (the app's identity gets Data Receiver on the queue and Data Sender on the topic in
// rbac-app.bicep; ticketing systems get Data Sender on the queue, see docs/deploy.md).
// Shapes: https://learn.microsoft.com/azure/templates/microsoft.servicebus/namespaces
//         https://learn.microsoft.com/azure/templates/microsoft.servicebus/namespaces/queues
// API 2024-01-01: the newest GA version (azure-rest-api-specs, specification/servicebus,
// stable/2024-01-01); the earlier 2022-10-01-preview is a preview.

@description('Namespace name (6-50 characters).')
@minLength(6)
@maxLength(50)
param name string

@description('Azure region.')
param location string

@description('Tags for the namespace.')
param tags object = {}

@description('Queue the ticketing systems send onboarding requests to.')
param requestQueueName string = 'onboarding-requests'

@description('Queue Event Grid delivers the gateways\' write events to (the push signal, gatewayPushSignal); it exists either way, so the app\'s trigger on it always has its queue.')
param gatewayEventsQueueName string = 'gateway-events'

@description('Topic the app publishes status events to.')
param eventsTopicName string = 'onboarding-events'

@description('Subscriptions on the events topic (one per consumer), as docs/servicebus.md names them: ticketing (the ticketing system) and audit (audit and monitoring; keeps every event, rejections included).')
param eventSubscriptionNames array = [
  'ticketing'
  'audit'
]

@description('The operators\' own subscription: `onboard events` peeks it (never takes the ticketing system\'s events). Nobody receives from it, so its events expire after operatorEventsTimeToLive without being dead-lettered (a dead-letter would fire the dead-letter alert).')
param operatorSubscriptionName string = 'operators'

@description('How long the operators\' subscription keeps an event for `onboard events` to show.')
param operatorEventsTimeToLive string = 'P3D'

// Network mode (main.bicep vnetEnabled decides the values; the defaults are the public mode).
@description('Standard (public mode) or Premium (locked-down: private endpoints need Premium).')
@allowed([
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@description('Enabled (public mode, Entra-only access) or Disabled (locked-down: private endpoint only).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@description('Deliveries of one message before Service Bus dead-letters it.')
@minValue(1)
@maxValue(100)
param maxDeliveryCount int = 5

var standardSku = {
  name: 'Standard'
  tier: 'Standard'
}
var premiumSku = {
  name: 'Premium'
  tier: 'Premium'
  capacity: 1
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: skuName == 'Premium' ? premiumSku : standardSku
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    // Standard has no private endpoints; access is Entra-only (disableLocalAuth). Locked down,
    // the namespace is Premium, reached through a private endpoint only.
    publicNetworkAccess: publicNetworkAccess
  }
}

// One run per ticket however often a message arrives: duplicate detection drops re-sends
// with the same MessageId inside 10 minutes, and the app dedups on the instance id as well.
resource requestQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: requestQueueName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    lockDuration: 'PT1M'
    defaultMessageTimeToLive: 'P14D'
    requiresSession: false
    enablePartitioning: false
  }
}

// Event Grid's resource-group events for the gateways (infra/modules/gateway-events.bicep).
// A message that outlives a build is useless (the waiter's polls found the end): short TTL,
// expired ones are dropped, not dead-lettered.
resource gatewayEventsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: gatewayEventsQueueName
  properties: {
    requiresDuplicateDetection: false
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: false
    lockDuration: 'PT1M'
    defaultMessageTimeToLive: 'PT6H'
    requiresSession: false
    enablePartitioning: false
  }
}

// The app derives each event's MessageId from run + milestone, so a retried publish is dropped
// by the topic's duplicate detection (activities/notifications.py).
resource eventsTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: eventsTopicName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    defaultMessageTimeToLive: 'P14D'
    enablePartitioning: false
  }
}

resource eventSubscriptions 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = [
  for sub in eventSubscriptionNames: {
    parent: eventsTopic
    name: sub
    properties: {
      maxDeliveryCount: 10
      deadLetteringOnMessageExpiration: true
      lockDuration: 'PT1M'
      defaultMessageTimeToLive: 'P14D'
    }
  }
]

resource operatorSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = {
  parent: eventsTopic
  name: operatorSubscriptionName
  properties: {
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: false
    lockDuration: 'PT1M'
    defaultMessageTimeToLive: operatorEventsTimeToLive
  }
}

output name string = namespace.name
output id string = namespace.id
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
output queueName string = requestQueue.name
output topicName string = eventsTopic.name
output gatewayEventsQueueName string = gatewayEventsQueue.name
output gatewayEventsQueueId string = gatewayEventsQueue.id

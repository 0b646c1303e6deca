// Data-plane roles of the onboarding app's identity on the app's OWN resources (this resource
// group only), each at the narrowest scope that works:
//   storage account  Storage Blob / Queue / Table Data Contributor (host, Durable Azure Storage
//                    backend, deployment package); Contributor, not Owner: no ACL management
//   queues           Azure Service Bus Data Receiver on `onboarding-requests` and
//                    `gateway-events` (the push signal's trigger) only
//   topic            Azure Service Bus Data Sender on `onboarding-events` only
//   (push signal)    each gateway group's Event Grid system topic identity: Azure Service Bus
//                    Data Sender on `gateway-events` only (gatewayPushSignal; none when off)
//   App Insights     Monitoring Metrics Publisher on the component (local auth is disabled)
//   DTS task hub     Durable Task Data Contributor (only when that backend is chosen)
// Names are deterministic: guid(scope, principalId, roleDefinitionId), so re-deploys are no-ops.
// Role ids: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles

@description('Principal (object) id of the app identity.')
param principalId string

@description('The app storage account.')
param storageAccountName string

@description('The app Service Bus namespace.')
param serviceBusNamespaceName string

@description('Queue the app receives from.')
param requestQueueName string

@description('Queue of the gateways\' write events the app receives from (push signal).')
param gatewayEventsQueueName string = 'gateway-events'

@description('Principal ids of the gateway groups\' Event Grid system topics (gateway-events.bicep); empty without the push signal.')
param gatewayEventSenderIds array = []

@description('Topic the app sends to.')
param eventsTopicName string

@description('Application Insights component the app publishes telemetry to.')
param applicationInsightsName string

@description('Durable Task Scheduler name; empty when the Azure Storage backend is used.')
param durableTaskSchedulerName string = ''

@description('Task hub name inside that scheduler.')
param durableTaskHubName string = ''

var roles = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402'
}

var storageRoles = [
  roles.storageBlobDataContributor
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource requestQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = {
  parent: namespace
  name: requestQueueName
}

resource eventsTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' existing = {
  parent: namespace
  name: eventsTopicName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' existing = if (!empty(durableTaskSchedulerName)) {
  name: durableTaskSchedulerName
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' existing = if (!empty(durableTaskSchedulerName)) {
  parent: scheduler
  name: durableTaskHubName
}

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storage.id, principalId, roleId)
    scope: storage
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource queueReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(requestQueue.id, principalId, roles.serviceBusDataReceiver)
  scope: requestQueue
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
  }
}

resource gatewayEventsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = {
  parent: namespace
  name: gatewayEventsQueueName
}

resource gatewayEventsReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(gatewayEventsQueue.id, principalId, roles.serviceBusDataReceiver)
  scope: gatewayEventsQueue
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
  }
}

resource gatewayEventsSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for senderId in gatewayEventSenderIds: {
    name: guid(gatewayEventsQueue.id, senderId, roles.serviceBusDataSender)
    scope: gatewayEventsQueue
    properties: {
      principalId: senderId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    }
  }
]

resource topicSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(eventsTopic.id, principalId, roles.serviceBusDataSender)
  scope: eventsTopic
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

resource durableTaskContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(durableTaskSchedulerName)) {
  name: guid(taskHub.id, principalId, roles.durableTaskDataContributor)
  scope: taskHub
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.durableTaskDataContributor)
  }
}

// Diagnostic settings: resource logs and platform metrics of the app's own resources go to the
// Log Analytics workspace (the same one Application Insights writes to), so one query surface
// holds the app's telemetry, the platform's logs and the audit trail of data-plane writes.
//   Function App        allLogs (FunctionAppLogs, App Service authentication logs) + AllMetrics
//   Service Bus         allLogs (operational, runtime audit, VNet/IP filtering) + AllMetrics
//   Storage account     Transaction metrics (the account itself has no resource logs)
//   blob/queue/table    StorageWrite + StorageDelete + Transaction metrics. StorageRead is left
//                       out on purpose: the Durable Azure Storage backend polls its queues and
//                       tables several times a second, which would cost more than the rest of
//                       the deployment and show nothing an audit needs.
//   Durable Task Scheduler (with that backend) allLogs + AllMetrics. Its log categories are not
//                       documented (unverified); schedulerDiagnostics = false skips it if the
//                       resource provider refuses diagnostic settings.
// API: Microsoft.Insights/diagnosticSettings 2021-05-01-preview is the newest version the REST
// reference documents (https://learn.microsoft.com/rest/api/monitor/diagnosticsettings); there
// is no GA version of this resource type.

@description('Resource id of the Log Analytics workspace that receives everything.')
param logAnalyticsWorkspaceId string

@description('The Function App.')
param functionAppName string

@description('The app storage account.')
param storageAccountName string

@description('The Service Bus namespace.')
param serviceBusNamespaceName string

@description('The Durable Task Scheduler; empty when the Azure Storage backend is used.')
param schedulerName string = ''

@description('Send the scheduler\'s logs and metrics too (turn off if its resource provider refuses diagnostic settings).')
param schedulerDiagnostics bool = true

var settingName = 'to-log-analytics'
var allLogs = [
  {
    categoryGroup: 'allLogs'
    enabled: true
  }
]
var allMetrics = [
  {
    category: 'AllMetrics'
    enabled: true
  }
]
var storageWrites = [
  {
    category: 'StorageWrite'
    enabled: true
  }
  {
    category: 'StorageDelete'
    enabled: true
  }
]
var transactions = [
  {
    category: 'Transaction'
    enabled: true
  }
]

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' existing = if (!empty(schedulerName)) {
  name: schedulerName
}

resource appDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: app
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: allLogs
    metrics: allMetrics
  }
}

resource serviceBusDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: namespace
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    // Resource-specific tables (AZMSOperationalLogs, ...) instead of AzureDiagnostics.
    logAnalyticsDestinationType: 'Dedicated'
    logs: allLogs
    metrics: allMetrics
  }
}

resource storageDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: storage
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    metrics: transactions
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: blobService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: storageWrites
    metrics: transactions
  }
}

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: queueService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: storageWrites
    metrics: transactions
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: tableService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: storageWrites
    metrics: transactions
  }
}

resource schedulerDiagnosticSetting 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(schedulerName) && schedulerDiagnostics) {
  name: settingName
  scope: scheduler
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: allLogs
    metrics: allMetrics
  }
}

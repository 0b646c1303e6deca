// Durable Task Scheduler (optional Durable Functions backend, chosen with
// durableBackend = 'DurableTaskScheduler' in main.bicep): a scheduler and one task hub, whose
// name main.bicep also gives the app as durableTask.hubName (an app setting override). The app reaches it with its managed identity (Durable Task Data
// Contributor on the task hub, granted in rbac-app.bicep); the "connection string" app setting
// carries only the endpoint and the identity's client id, no secret.
// Shapes: https://learn.microsoft.com/azure/templates/microsoft.durabletask/schedulers
//         https://learn.microsoft.com/azure/azure-functions/durable/durable-task-scheduler/durable-task-scheduler-identity

@description('Scheduler name (3-64 letters, digits, hyphens).')
param name string

@description('Azure region.')
param location string

@description('Tags for the scheduler.')
param tags object = {}

@description('Task hub name; main.bicep gives the app the same name as durableTask.hubName.')
param taskHubName string

@description('Consumption (pay per action) or Dedicated (reserved capacity units).')
@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string = 'Consumption'

@description('Capacity units (Dedicated only).')
param skuCapacity int = 1

@description('IP ranges allowed to reach the scheduler data plane. Required by the RP (an empty list denies all). Flex Consumption without VNet integration has no fixed egress IP, so the default is open; every call still needs an Entra token and the Durable Task role.')
param ipAllowlist array = [
  '0.0.0.0/0'
]

// Capacity applies to Dedicated only; Consumption is billed per dispatched action.
var dedicatedSku = {
  name: 'Dedicated'
  capacity: skuCapacity
}
var consumptionSku = {
  name: 'Consumption'
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    ipAllowlist: ipAllowlist
    sku: skuName == 'Dedicated' ? dedicatedSku : consumptionSku
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

output schedulerName string = scheduler.name
output taskHubName string = taskHub.name
output endpoint string = scheduler.properties.endpoint

// User-assigned managed identity of the onboarding Function App. Every permission the app has
// (ARM control plane in the target scopes, data plane on its own storage, Service Bus,
// Application Insights and Durable Task Scheduler) is granted to this identity and nothing else.
// A user-assigned identity outlives the app, so role assignments can be made before the app
// starts and are not lost when the app is recreated.
// Resource shape: https://learn.microsoft.com/azure/templates/microsoft.managedidentity/userassignedidentities

@description('Name of the identity.')
param name string

@description('Azure region.')
param location string

@description('Tags for the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId

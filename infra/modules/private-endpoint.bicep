// One private endpoint in the locked-down mode (main.bicep vnetEnabled = true): a NIC in the
// private-endpoints subnet for one sub-resource (groupId) of a target resource, registered in
// the matching privatelink.* DNS zone so the service's public name resolves to it inside the VNet.
// Shape: https://learn.microsoft.com/azure/templates/microsoft.network/privateendpoints

@description('Private endpoint name.')
param name string

@description('Azure region.')
param location string

@description('Tags.')
param tags object = {}

@description('Subnet that holds the endpoint.')
param subnetId string

@description('Resource the endpoint connects to.')
param targetId string

@description('Sub-resource: blob, queue, table (storage) or namespace (Service Bus).')
@allowed([
  'blob'
  'queue'
  'table'
  'namespace'
])
param groupId string

@description('Private DNS zone the endpoint registers in.')
param privateDnsZoneId string

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: name
        properties: {
          privateLinkServiceId: targetId
          groupIds: [
            groupId
          ]
        }
      }
    ]
  }
}

resource zoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: groupId
        properties: {
          privateDnsZoneId: privateDnsZoneId
        }
      }
    ]
  }
}

output id string = endpoint.id

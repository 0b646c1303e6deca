// What the onboarding app may do in ONE resource group that holds private DNS zones for
// injection-mode gateways (deployed with scope: resourceGroup(<sub>, <rg>) from main.bicep).
// A custom role at the RESOURCE GROUP (the zone is created there, named exactly the gateway's
// default hostname), narrower than the built-in Private DNS Zone Contributor (no other record
// types, no deployments, no alert rules):
//   privateDnsZones/read|write|delete                     zone per gateway; undo deletes it if created
//   privateDnsZones/virtualNetworkLinks/read|write|delete  link the zone to the gateway's VNet
//   privateDnsZones/A/read|write|delete                   the '@' A record -> private VIP
//   privateDnsOperationResults/read, privateDnsOperationStatuses/read   zone/link PUTs are LROs
// The link also needs virtualNetworks/join/action on the VNet: granted in rbac-network.bicep.
// Calls: ../shared/reference/arm-behaviour.md §3.8.
// Action names: https://learn.microsoft.com/azure/role-based-access-control/permissions/networking

@description('Principal (object) id of the app identity.')
param principalId string

resource dnsRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'apim-onboarding-private-dns-operator')
  properties: {
    roleName: 'APIM onboarding private DNS operator (${resourceGroup().name}, ${uniqueString(resourceGroup().id)})'
    description: 'Private DNS zones, VNet links and A records for APIM workspace gateways in one resource group.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.Network/privateDnsZones/read'
          'Microsoft.Network/privateDnsZones/write'
          'Microsoft.Network/privateDnsZones/delete'
          'Microsoft.Network/privateDnsZones/virtualNetworkLinks/read'
          'Microsoft.Network/privateDnsZones/virtualNetworkLinks/write'
          'Microsoft.Network/privateDnsZones/virtualNetworkLinks/delete'
          'Microsoft.Network/privateDnsZones/A/read'
          'Microsoft.Network/privateDnsZones/A/write'
          'Microsoft.Network/privateDnsZones/A/delete'
          'Microsoft.Network/privateDnsOperationResults/read'
          'Microsoft.Network/privateDnsOperationStatuses/read'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource dnsAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, dnsRole.id)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: dnsRole.id
    description: 'APIM onboarding: private DNS for injection-mode gateways'
  }
}

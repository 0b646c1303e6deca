// What the onboarding app may do on ONE allowed virtual network (deployed with
// scope: resourceGroup(<vnet subscription>, <vnet resource group>) from main.bicep).
// Three custom roles, each assigned at the narrowest scope the operation allows:
//
//   subnet role   -> each allowed SUBNET (not the whole VNet):
//     virtualNetworks/subnets/read         preflight reads the subnet (prefix, delegations, users)
//     virtualNetworks/subnets/write        the one read-modify-write PUT that sets the delegation
//                                          and NSG association, and its undo
//     virtualNetworks/subnets/join/action  linked check when the gateway PUT references the
//                                          subnet (backend.subnet.id); else LinkedAuthorizationFailed
//     locations/operations/read,
//     locations/operationResults/read      the subnet PUT is an LRO polled on
//                                          /subscriptions/{s}/providers/Microsoft.Network/locations/{r}/operations/{id}
//   vnet role     -> the VNET:
//     virtualNetworks/read                 preflight reads the VNet (region for the NSG and checks)
//     virtualNetworks/join/action          linked check when the private DNS zone's virtualNetworkLink
//                                          (injection mode) references this VNet
//   nsg role      -> the VNet's RESOURCE GROUP (the app creates the NSG there; a create needs the
//                    parent scope, since the NSG does not exist yet):
//     networkSecurityGroups/read|write|delete   ensure the NSG with the mode's rules; undo deletes
//                                               it only if the run created it
//     networkSecurityGroups/join/action    linked check when the subnet PUT references the NSG
//     networkSecurityGroups/securityRules/read|write|delete   add missing rules to an existing NSG,
//                                               undo removes only the rules the run added
//     locations/operations/read, locations/operationResults/read   NSG/rule PUT/DELETE are LROs
// Calls and linked actions: ../shared/reference/arm-behaviour.md §1, §2, §3.3, §3.4.
// Action names: https://learn.microsoft.com/azure/role-based-access-control/permissions/networking
// Custom role shape: https://learn.microsoft.com/azure/templates/microsoft.authorization/roledefinitions

@description('Principal (object) id of the app identity.')
param principalId string

@description('Name of the allowed virtual network (in this resource group).')
param vnetName string

@description('Names of the subnets of that VNet the app may delegate.')
@minLength(1)
param subnetNames array

var operationStatusActions = [
  'Microsoft.Network/locations/operations/read'
  'Microsoft.Network/locations/operationResults/read'
]

var subnetActions = concat([
  'Microsoft.Network/virtualNetworks/subnets/read'
  'Microsoft.Network/virtualNetworks/subnets/write'
  'Microsoft.Network/virtualNetworks/subnets/join/action'
], operationStatusActions)

var vnetActions = [
  'Microsoft.Network/virtualNetworks/read'
  'Microsoft.Network/virtualNetworks/join/action'
]

var nsgActions = concat([
  'Microsoft.Network/networkSecurityGroups/read'
  'Microsoft.Network/networkSecurityGroups/write'
  'Microsoft.Network/networkSecurityGroups/delete'
  'Microsoft.Network/networkSecurityGroups/join/action'
  'Microsoft.Network/networkSecurityGroups/securityRules/read'
  'Microsoft.Network/networkSecurityGroups/securityRules/write'
  'Microsoft.Network/networkSecurityGroups/securityRules/delete'
], operationStatusActions)

// Role names are unique per tenant: the suffix ties each role to this resource group + VNet.
var suffix = '${vnetName}, ${uniqueString(resourceGroup().id)}'

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: vnetName
}

resource subnets 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = [
  for subnetName in subnetNames: {
    parent: vnet
    name: subnetName
  }
]

resource subnetRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, vnetName, 'apim-onboarding-subnet-operator')
  properties: {
    roleName: 'APIM onboarding subnet operator (${suffix})'
    description: 'Delegate an allowed subnet to Microsoft.Web and attach its NSG; let an APIM workspace gateway join it.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: subnetActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource vnetRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, vnetName, 'apim-onboarding-vnet-reader')
  properties: {
    roleName: 'APIM onboarding VNet reader and DNS link joiner (${suffix})'
    description: 'Read an allowed VNet; link a private DNS zone to it.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: vnetActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource nsgRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, vnetName, 'apim-onboarding-nsg-operator')
  properties: {
    roleName: 'APIM onboarding NSG operator (${suffix})'
    description: 'Create, update and delete the NSGs of APIM workspace gateway subnets.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: nsgActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource subnetAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (subnetName, i) in subnetNames: {
    name: guid(subnets[i].id, principalId, subnetRole.id)
    scope: subnets[i]
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subnetRole.id
      description: 'APIM onboarding: delegate subnet ${subnetName}'
    }
  }
]

resource vnetAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vnet.id, principalId, vnetRole.id)
  scope: vnet
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: vnetRole.id
    description: 'APIM onboarding: read VNet, link private DNS zones'
  }
}

resource nsgAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, nsgRole.id)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: nsgRole.id
    description: 'APIM onboarding: NSGs for gateway subnets of ${vnetName}'
  }
}

output subnetIds array = [for (subnetName, i) in subnetNames: subnets[i].id]

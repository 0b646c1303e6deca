// What the onboarding app may do in ONE resource group that holds workspace gateways (deployed
// with scope: resourceGroup(<sub>, <rg>) from main.bicep). The app creates gateways in the APIM
// service's resource group, so main.bicep uses each APIM service's group unless told otherwise.
//   custom "gateway operator" role at the RESOURCE GROUP (a gateway create needs the parent scope):
//     gateways/read|write|delete                   create the gateway, poll its state, delete on undo
//     gateways/configConnections/read|write|delete link the workspace, unlink on undo
//     locations/operationsStatuses/read            status of the gateway/link LROs (Azure-AsyncOperation)
//   Role Based Access Control Administrator with the ABAC condition (rbac-delegation.bicep) at the
//   RESOURCE GROUP, for gateway-scope grants (Owner/Contributor/Reader of §3.9, as policy allows).
// The subnet side of a gateway PUT (virtualNetworks/subnets/join/action) is in rbac-network.bicep.
// Action names: https://learn.microsoft.com/azure/role-based-access-control/permissions/integration#microsoftapimanagement

@description('Principal (object) id of the app identity.')
param principalId string

@description('Role definition GUIDs the app may assign at gateway scope. Empty = no role-assignment rights here.')
param assignableRoleIds array

resource gatewayRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'apim-onboarding-gateway-operator')
  properties: {
    roleName: 'APIM onboarding gateway operator (${resourceGroup().name}, ${uniqueString(resourceGroup().id)})'
    description: 'Create and delete APIM workspace gateways and their config connections in one resource group.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.ApiManagement/gateways/read'
          'Microsoft.ApiManagement/gateways/write'
          'Microsoft.ApiManagement/gateways/delete'
          'Microsoft.ApiManagement/gateways/configConnections/read'
          'Microsoft.ApiManagement/gateways/configConnections/write'
          'Microsoft.ApiManagement/gateways/configConnections/delete'
          'Microsoft.ApiManagement/locations/operationsStatuses/read'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource gatewayAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, gatewayRole.id)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: gatewayRole.id
    description: 'APIM onboarding: workspace gateways in ${resourceGroup().name}'
  }
}

module delegation 'rbac-delegation.bicep' = if (!empty(assignableRoleIds)) {
  name: 'onb-abac-gw-${uniqueString(resourceGroup().id, principalId)}'
  params: {
    principalId: principalId
    assignableRoleIds: assignableRoleIds
    purpose: 'gateway scope in ${resourceGroup().name}'
  }
}

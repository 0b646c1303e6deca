// What the onboarding app may do on ONE allowed APIM service (deployed with
// scope: resourceGroup(<apim subscription>, <apim resource group>) from main.bicep):
//   custom "workspace operator" role at the SERVICE scope:
//     service/read               preflight: the service exists, its tier supports workspaces
//     service/workspaces/read|write|delete   create the workspace (sync PUT), delete it on undo
//   Role Based Access Control Administrator with the ABAC condition (rbac-delegation.bicep) at the
//   SERVICE scope, for the service- and workspace-scope grants of arm-behaviour.md §3.9.
// Gateways and their configConnections are in rbac-gateways.bicep (resource group scope).
// Action names: https://learn.microsoft.com/azure/role-based-access-control/permissions/integration#microsoftapimanagement

@description('Principal (object) id of the app identity.')
param principalId string

@description('APIM service name (in this resource group).')
param apimServiceName string

@description('Role definition GUIDs the app may assign at service and workspace scope. Empty = no role-assignment rights here.')
param assignableRoleIds array

resource apim 'Microsoft.ApiManagement/service@2024-05-01' existing = {
  name: apimServiceName
}

resource workspaceRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, apimServiceName, 'apim-onboarding-workspace-operator')
  properties: {
    roleName: 'APIM onboarding workspace operator (${apimServiceName}, ${uniqueString(resourceGroup().id)})'
    description: 'Create and delete workspaces of one APIM service; read the service.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.ApiManagement/service/read'
          'Microsoft.ApiManagement/service/workspaces/read'
          'Microsoft.ApiManagement/service/workspaces/write'
          'Microsoft.ApiManagement/service/workspaces/delete'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource workspaceAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(apim.id, principalId, workspaceRole.id)
  scope: apim
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: workspaceRole.id
    description: 'APIM onboarding: workspaces of ${apimServiceName}'
  }
}

module delegation 'rbac-delegation.bicep' = if (!empty(assignableRoleIds)) {
  name: 'onb-abac-svc-${uniqueString(apim.id, principalId)}'
  params: {
    principalId: principalId
    assignableRoleIds: assignableRoleIds
    apimServiceName: apimServiceName
    purpose: 'service and workspace scope of ${apimServiceName}'
  }
}

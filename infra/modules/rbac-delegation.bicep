// Role-assignment rights of the onboarding app, constrained by an ABAC condition: the built-in
// "Role Based Access Control Administrator" role, with a condition that lets the app create
// (write) and remove (delete) role assignments ONLY for the role definitions listed in
// assignableRoleIds (the roles of ../shared/reference/arm-behaviour.md §3.9 that policy allows
// at this scope). Any other role (Owner when not listed, User Access Administrator, this very
// RBAC Administrator role...) is refused by ARM even if the app is compromised.
// Scope: the APIM service when apimServiceName is given (covers service- and workspace-scope
// grants, workspaces being child resources), else this resource group (gateway-scope grants:
// the gateways do not exist at deploy time).
// Condition syntax (write uses @Request, delete uses @Resource, one clause per action):
//   https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples#example-constrain-roles
//   https://learn.microsoft.com/azure/role-based-access-control/conditions-authorization-actions-attributes

@description('Principal (object) id of the app identity.')
param principalId string

@description('Role definition GUIDs the app may assign and remove at this scope.')
@minLength(1)
param assignableRoleIds array

@description('APIM service (in this resource group) to scope the grant to; empty = this resource group.')
param apimServiceName string = ''

@description('What the scope is, for the assignment description.')
param purpose string

var rbacAdministratorRoleId = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'
var roleList = join(assignableRoleIds, ', ')

// One line on purpose: Bicep multi-line strings cannot interpolate. Layout as in the docs:
// ((!(write)) OR (@Request RoleDefinitionId in list)) AND ((!(delete)) OR (@Resource ... in list))
var condition = '((!(ActionMatches{\'Microsoft.Authorization/roleAssignments/write\'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${roleList}})) AND ((!(ActionMatches{\'Microsoft.Authorization/roleAssignments/delete\'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${roleList}}))'

resource apim 'Microsoft.ApiManagement/service@2024-05-01' existing = if (!empty(apimServiceName)) {
  name: apimServiceName
}

resource atService 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(apimServiceName)) {
  name: guid(apim.id, principalId, rbacAdministratorRoleId)
  scope: apim
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministratorRoleId)
    condition: condition
    conditionVersion: '2.0'
    description: 'APIM onboarding: assign only allowed roles (${purpose})'
  }
}

resource atGroup 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (empty(apimServiceName)) {
  name: guid(resourceGroup().id, principalId, rbacAdministratorRoleId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministratorRoleId)
    condition: condition
    conditionVersion: '2.0'
    description: 'APIM onboarding: assign only allowed roles (${purpose})'
  }
}

output condition string = condition

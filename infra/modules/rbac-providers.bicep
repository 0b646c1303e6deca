// Resource-provider rights of the onboarding app in ONE subscription that holds allowed VNets
// (deployed with scope: subscription(<id>) from main.bicep). This is the ONLY subscription-scope
// assignment the app gets, because the provider endpoints exist only there:
//   Microsoft.Resources/subscriptions/providers/read   preflight: GET /subscriptions/{s}/providers/Microsoft.Web
//                                                       (the provider must be registered before a
//                                                       subnet can be delegated to it, arm-behaviour.md §3.2)
//   Microsoft.Web/register/action                      ONLY when allowWebProviderRegistration is true:
//                                                       POST .../providers/Microsoft.Web/register
// The role holds no resource read or write action: it discloses provider registration state only.
// Action names: https://learn.microsoft.com/azure/role-based-access-control/permissions/management-and-governance
//               https://learn.microsoft.com/azure/role-based-access-control/permissions/web-and-mobile
targetScope = 'subscription'

@description('Principal (object) id of the app identity.')
param principalId string

@description('Also allow registering the Microsoft.Web provider. Prefer registering it once by hand (docs/deploy.md).')
param allowWebProviderRegistration bool = false

var actions = allowWebProviderRegistration ? [
  'Microsoft.Resources/subscriptions/providers/read'
  'Microsoft.Web/register/action'
] : [
  'Microsoft.Resources/subscriptions/providers/read'
]

resource providerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'apim-onboarding-provider-reader')
  properties: {
    roleName: 'APIM onboarding provider reader (${uniqueString(subscription().id)})'
    description: 'Read resource provider registration state (and register Microsoft.Web when allowed).'
    type: 'CustomRole'
    assignableScopes: [
      subscription().id
    ]
    permissions: [
      {
        actions: actions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource providerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, providerRole.id)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: providerRole.id
    description: 'APIM onboarding: Microsoft.Web provider state'
  }
}

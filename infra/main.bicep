// Production deployment of APIM workspace onboarding (azd layout, subscription scope).
// Creates the app's resource group and its resources (identity, storage, monitoring, Service Bus,
// optional Durable Task Scheduler, Flex Consumption Function App with Entra authentication) and
// grants the app's identity least-privilege rights in the OTHER resource groups the parameters
// name: allowed VNets, APIM services, gateway resource groups, private DNS resource groups.
// No role is granted at subscription scope except the provider-registration reader
// (rbac-providers.bicep). Every permission, its scope and reason: docs/deploy.md.
// Style: Azure-Samples azd quickstarts (resourceToken + abbreviations, RBAC modules, UPPER_SNAKE
// outputs that azd stores in the environment).
targetScope = 'subscription'

// ---------------------------------------------------------------- environment
@minLength(1)
@maxLength(64)
@description('azd environment name; part of every generated resource name.')
param environmentName string

@minLength(1)
@description('Region of the app resources (must offer Flex Consumption).')
param location string

@description('Name of the app resource group; empty = rg-<environmentName>.')
param resourceGroupName string = ''

@description('Extra tags for every app resource.')
param tags object = {}

// ---------------------------------------------------------------- authentication
@description('Client (application) id of the Entra app registration that represents the API (holds the Onboarding.* app roles).')
param entraClientId string

@description('Tenant of that app registration.')
param entraTenantId string = tenant().tenantId

@description('Accepted token audiences; empty = api://<entraClientId> and the bare client id.')
param entraAllowedAudiences array = []

// ---------------------------------------------------------------- Durable backend
@description('Durable Functions backend: Azure Storage (the app storage account) or the Durable Task Scheduler. The app settings select the host.json storage provider to match (docs/deploy.md 3.5).')
@allowed([
  'AzureStorage'
  'DurableTaskScheduler'
])
param durableBackend string = 'AzureStorage'

@description('Durable Task Scheduler SKU (only with durableBackend = DurableTaskScheduler).')
@allowed([
  'Consumption'
  'Dedicated'
])
param durableTaskSchedulerSku string = 'Consumption'

@description('IP ranges allowed to reach the scheduler data plane (only with the scheduler, without vnetEnabled; with it, the NAT gateway IP is the only entry).')
param durableTaskSchedulerIpAllowlist array = [
  '0.0.0.0/0'
]

@description('Task hub name, for either backend (the app settings override durableTask.hubName of host.json). Azure Storage needs 3-45 letters and digits, starting with a letter.')
@minLength(3)
@maxLength(45)
param taskHubName string = 'onboarding'

// ---------------------------------------------------------------- scale
@description('Upper bound on Function App instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

// ---------------------------------------------------------------- network (locked-down mode)
@description('Locked-down networks: a VNet with the Function App integrated (outbound through a NAT gateway with one fixed IP), private endpoints for storage (blob, queue, table) and Service Bus (Premium), public network access off on both, and the Durable Task Scheduler allowlist narrowed to the NAT IP. Off: public endpoints with Entra-only access (docs/deploy.md section 7).')
param vnetEnabled bool = false

@description('Address space of the app VNet (vnetEnabled only); a /24 is enough. Pick a range free in the bank\'s address plan if the VNet is ever peered.')
param vnetAddressPrefix string = '10.60.0.0/24'

@description('App subnet inside vnetAddressPrefix (Flex Consumption integration, /26 or larger).')
param appSubnetPrefix string = '10.60.0.0/26'

@description('Private endpoint subnet inside vnetAddressPrefix.')
param privateEndpointSubnetPrefix string = '10.60.0.64/27'

@description('vnetEnabled only: public IP ranges (CIDR) that may still reach the storage account, e.g. a deployment runner outside the VNet. Empty = storage public network access disabled; deploy from inside the VNet.')
param deployerIpRanges array = []

// ---------------------------------------------------------------- alerts and diagnostics
@description('E-mail address (a team distribution list) that receives every alert: dead-lettered messages, runs waiting on an operator too long, failed runs, runs that left resources behind, function failures.')
@minLength(3)
param alertEmail string

@description('Hours a run may wait on an operator before the alert fires (1-24).')
@minValue(1)
@maxValue(24)
param operatorWaitAlertHours int = 24

@description('Send the Durable Task Scheduler\'s logs and metrics to Log Analytics (its log categories are undocumented; turn off if the resource provider refuses diagnostic settings).')
param schedulerDiagnostics bool = true

// ---------------------------------------------------------------- target scopes (policy)
@description('APIM services the app may onboard into: [{ subscriptionId, resourceGroupName, serviceName }].')
@minLength(1)
param apimServices array

@description('Resource groups where workspace gateways live: [{ subscriptionId, resourceGroupName }]. Empty = the resource group of each APIM service (where the app creates gateways).')
param gatewayResourceGroups array = []

@description('VNets and the subnets of each that the app may delegate: [{ subscriptionId, resourceGroupName, vnetName, subnetNames: [..] }].')
param allowedVnets array = []

@description('Resource groups that hold private DNS zones for injection-mode gateways: [{ subscriptionId, resourceGroupName }].')
param dnsResourceGroups array = []

@description('Roles the app may grant at APIM service scope (names as in arm-behaviour.md §3.9).')
@allowed([
  'API Management Service Workspace API Developer'
  'API Management Service Workspace API Product Manager'
])
param allowedRolesService array = [
  'API Management Service Workspace API Developer'
  'API Management Service Workspace API Product Manager'
]

@description('Roles the app may grant at workspace scope.')
@allowed([
  'API Management Workspace Reader'
  'API Management Workspace Contributor'
  'API Management Workspace API Developer'
  'API Management Workspace API Product Manager'
])
param allowedRolesWorkspace array = [
  'API Management Workspace Reader'
  'API Management Workspace Contributor'
  'API Management Workspace API Developer'
  'API Management Workspace API Product Manager'
]

@description('Roles the app may grant at gateway scope. Reader only by default: Owner/Contributor would be assignable on the whole gateway resource group (see docs/deploy.md).')
@allowed([
  'Owner'
  'Contributor'
  'Reader'
])
param allowedRolesGateway array = [
  'Reader'
]

@description('Most gateway units one request may ask for.')
@minValue(1)
@maxValue(10)
param maxGatewayUnits int = 2

@description('Regular expression a workspace name must fully match (POLICY_WORKSPACE_NAME_PATTERN). Empty = the app default: lower-case letters, digits, hyphens.')
param workspaceNamePattern string = ''

// ---------------------------------------------------------------- run shaping (policy)
// Hours are whole numbers here (Bicep has no decimals); the app accepts fractions if an
// operator sets the app setting by hand.
@description('Runs wait for an operator approval before changing anything.')
param requireApproval bool = true

@description('Hours a run waits for approval before it ends without changing anything.')
@minValue(1)
param approvalTimeoutHours int = 72

@description('Hours between reminder notifications while a run waits for an operator.')
@minValue(1)
param reminderHours int = 24

@description('Gateway build deadline in hours; past it the run goes to Stalled and asks an operator (it never deletes the gateway on its own).')
@minValue(1)
param buildDeadlineHours int = 6

@description('Hours a Stalled run waits for an operator to answer keep-waiting or abort.')
@minValue(1)
param stalledTimeoutHours int = 72

@description('Hours an injection run waits for an operator to supply the gateway private IP.')
@minValue(1)
param privateIpTimeoutHours int = 72

@description('Hours a step that cannot succeed is held for an operator to fix the cause and retry it, before the run compensates. 0 compensates at once, which deletes a gateway that took hours to build; the default keeps it for a working day.')
@minValue(0)
param failedStepHoldHours int = 24

@description('Monthly price of one workspace gateway unit (decimal as text, e.g. "2803.20"), shown to the approver as a new gateway\'s cost. Empty = no cost shown. Take it from the pricing page or your agreement for the APIM region.')
param gatewayUnitMonthlyPrice string = ''

@description('ISO 4217 currency of gatewayUnitMonthlyPrice.')
@minLength(3)
@maxLength(3)
param priceCurrency string = 'USD'

@description('Gateway push signal: an Event Grid subscription on each gateway resource group delivers the gateways\' write events to the Service Bus queue gateway-events, and runs wake on them instead of waiting for their next poll (polling stays the fallback). Off: polling only.')
param gatewayPushSignal bool = false

@description('Let the app register Microsoft.Web in the VNet subscriptions (subscription-scope action). Default: register it once by hand.')
param allowWebProviderRegistration bool = false

// ---------------------------------------------------------------- names
var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, {
  'azd-env-name': environmentName
  workload: 'apim-workspace-onboarding'
})
var rgName = empty(resourceGroupName) ? '${abbrs.resourcesResourceGroups}${environmentName}' : resourceGroupName
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'
var useScheduler = durableBackend == 'DurableTaskScheduler'
var requestQueueName = 'onboarding-requests'
var eventsTopicName = 'onboarding-events'

// The nine built-in roles the app can grant (../shared/reference/arm-behaviour.md §3.9).
var roleIdsByName = {
  'API Management Service Workspace API Developer': '9565a273-41b9-4368-97d2-aeb0c976a9b3'
  'API Management Service Workspace API Product Manager': 'd59a3e9c-6d52-4a5a-aeed-6bf3cf0e31da'
  'API Management Workspace Reader': 'ef1c2c96-4a77-49e8-b9a4-6179fe1d2fd2'
  'API Management Workspace Contributor': '0c34c906-8d99-4cb7-8bb7-33f5b0a1a799'
  'API Management Workspace API Developer': '56328988-075d-4c6a-8766-d93edd6725b6'
  'API Management Workspace API Product Manager': '73c2c328-d004-4c5e-938c-35c6f5679a1f'
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c'
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
}
var serviceRoleIds = [for r in allowedRolesService: roleIdsByName[r]]
var workspaceRoleIds = [for r in allowedRolesWorkspace: roleIdsByName[r]]
var gatewayRoleIds = [for r in allowedRolesGateway: roleIdsByName[r]]
// Workspaces are children of the service, so one service-scope grant covers both scopes.
var apimAssignableRoleIds = concat(serviceRoleIds, workspaceRoleIds)

// Target scopes as "<subscriptionId>/<resourceGroupName>" keys; union() drops duplicates so two
// services in one resource group get one gateway grant.
var apimGroupKeys = [for s in apimServices: '${s.subscriptionId}/${s.resourceGroupName}']
var explicitGatewayKeys = [for g in gatewayResourceGroups: '${g.subscriptionId}/${g.resourceGroupName}']
var gatewayGroupKeys = union(empty(gatewayResourceGroups) ? apimGroupKeys : explicitGatewayKeys, [])
var dnsGroupKeysAll = [for g in dnsResourceGroups: '${g.subscriptionId}/${g.resourceGroupName}']
var dnsGroupKeys = union(dnsGroupKeysAll, [])
var vnetSubscriptionsAll = [for v in allowedVnets: v.subscriptionId]
var vnetSubscriptions = union(vnetSubscriptionsAll, [])

var apimServiceIds = [for s in apimServices: '/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroupName}/providers/Microsoft.ApiManagement/service/${s.serviceName}']
var dnsGroupIds = [for k in dnsGroupKeys: '/subscriptions/${split(k, '/')[0]}/resourceGroups/${split(k, '/')[1]}']

// ---------------------------------------------------------------- app resources
resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: rgName
  location: location
  tags: allTags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: allTags
  }
}

// A second identity only for sign-in: App Service authentication uses it as the federated
// credential of the app registration (no client secret). It holds no role anywhere; it is
// assigned to the Function App alone, as the App Service documentation requires
// (https://learn.microsoft.com/azure/app-service/configure-authentication-provider-aad,
// "Use a managed identity instead of a secret"). The postprovision hook adds the federated
// credential (issuer = this tenant, subject = its principal id) to the app registration.
module authIdentity 'modules/identity.bicep' = {
  name: 'auth-identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}auth-${resourceToken}'
    location: location
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: allTags
    deploymentContainerName: deploymentContainerName
    publicNetworkAccess: vnetEnabled && empty(deployerIpRanges) ? 'Disabled' : 'Enabled'
    networkDefaultAction: vnetEnabled ? 'Deny' : 'Allow'
    allowedIpRanges: vnetEnabled ? deployerIpRanges : []
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: allTags
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: '${abbrs.serviceBusNamespaces}${resourceToken}'
    location: location
    tags: allTags
    requestQueueName: requestQueueName
    eventsTopicName: eventsTopicName
    maxDeliveryCount: 5
    skuName: vnetEnabled ? 'Premium' : 'Standard'
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
  }
}

module network 'modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: allTags
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    natGatewayName: '${abbrs.networkNatGateways}${resourceToken}'
    publicIpName: '${abbrs.networkPublicIPAddresses}${resourceToken}'
    nsgName: '${abbrs.networkNetworkSecurityGroups}${resourceToken}'
  }
}

// Same order as network.bicep's zoneNames: blob, queue, table, Service Bus namespace.
var privateEndpoints = [
  {
    groupId: 'blob'
    target: storage.outputs.id
  }
  {
    groupId: 'queue'
    target: storage.outputs.id
  }
  {
    groupId: 'table'
    target: storage.outputs.id
  }
  {
    groupId: 'namespace'
    target: serviceBus.outputs.id
  }
]

module endpoints 'modules/private-endpoint.bicep' = [
  for (pe, i) in (vnetEnabled ? privateEndpoints : []): {
    name: 'private-endpoint-${pe.groupId}'
    scope: rg
    params: {
      name: '${abbrs.networkPrivateEndpoints}${pe.groupId}-${resourceToken}'
      location: location
      tags: allTags
      subnetId: network.outputs.privateEndpointSubnetId
      targetId: pe.target
      groupId: pe.groupId
      privateDnsZoneId: network.outputs.zoneIds[i]
    }
  }
]

module scheduler 'modules/durable-task-scheduler.bicep' = if (useScheduler) {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    name: '${abbrs.durableTaskSchedulers}${resourceToken}'
    location: location
    tags: allTags
    taskHubName: taskHubName
    skuName: durableTaskSchedulerSku
    // Locked-down: only the app's fixed egress (the NAT gateway's IP) reaches the scheduler.
    ipAllowlist: vnetEnabled ? [
      '${network.outputs.egressIp}/32'
    ] : durableTaskSchedulerIpAllowlist
  }
}

// ---------------------------------------------------------------- data-plane roles (app RG)
module rbacApp 'modules/rbac-app.bicep' = {
  name: 'rbac-app'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    requestQueueName: serviceBus.outputs.queueName
    gatewayEventsQueueName: serviceBus.outputs.gatewayEventsQueueName
    gatewayEventSenderIds: [for (key, i) in pushGroupKeys: gatewayEventTopics[i].outputs.principalId]
    eventsTopicName: serviceBus.outputs.topicName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    durableTaskSchedulerName: useScheduler ? scheduler.outputs.schedulerName : ''
    durableTaskHubName: useScheduler ? scheduler.outputs.taskHubName : ''
  }
}

// ---------------------------------------------------------------- control-plane roles (targets)
module rbacNetwork 'modules/rbac-network.bicep' = [
  for (v, i) in allowedVnets: {
    name: 'onb-net-${i}-${uniqueString(v.subscriptionId, v.resourceGroupName, v.vnetName)}'
    scope: resourceGroup(v.subscriptionId, v.resourceGroupName)
    params: {
      principalId: identity.outputs.principalId
      vnetName: v.vnetName
      subnetNames: v.subnetNames
    }
  }
]

module rbacProviders 'modules/rbac-providers.bicep' = [
  for sub in vnetSubscriptions: {
    name: 'onb-prov-${uniqueString(sub, environmentName)}'
    scope: subscription(sub)
    params: {
      principalId: identity.outputs.principalId
      allowWebProviderRegistration: allowWebProviderRegistration
    }
  }
]

module rbacApim 'modules/rbac-apim.bicep' = [
  for (s, i) in apimServices: {
    name: 'onb-apim-${i}-${uniqueString(s.subscriptionId, s.resourceGroupName, s.serviceName)}'
    scope: resourceGroup(s.subscriptionId, s.resourceGroupName)
    params: {
      principalId: identity.outputs.principalId
      apimServiceName: s.serviceName
      assignableRoleIds: apimAssignableRoleIds
    }
  }
]

module rbacGateways 'modules/rbac-gateways.bicep' = [
  for (key, i) in gatewayGroupKeys: {
    name: 'onb-gw-${i}-${uniqueString(key)}'
    scope: resourceGroup(split(key, '/')[0], split(key, '/')[1])
    params: {
      principalId: identity.outputs.principalId
      assignableRoleIds: gatewayRoleIds
    }
  }
]

module rbacDns 'modules/rbac-dns.bicep' = [
  for (key, i) in dnsGroupKeys: {
    name: 'onb-dns-${i}-${uniqueString(key)}'
    scope: resourceGroup(split(key, '/')[0], split(key, '/')[1])
    params: {
      principalId: identity.outputs.principalId
    }
  }
]

// ---------------------------------------------------------------- gateway push signal
// Optional (gatewayPushSignal): in each gateway resource group an Event Grid system topic; its
// identity may send to the queue gateway-events only (rbac-app.bicep); then the event
// subscription (modules/gateway-events.bicep; the app side: docs/operations.md).
var pushGroupKeys = gatewayPushSignal ? gatewayGroupKeys : []
module gatewayEventTopics 'modules/gateway-events.bicep' = [
  for (key, i) in pushGroupKeys: {
    name: 'onb-gwev-${i}-${uniqueString(key)}'
    scope: resourceGroup(split(key, '/')[0], split(key, '/')[1])
    params: {
      topicName: 'evgt-gateways-${resourceToken}'
      tags: allTags
      queueId: serviceBus.outputs.gatewayEventsQueueId
    }
  }
]

module gatewayEventSubscriptions 'modules/gateway-events.bicep' = [
  for (key, i) in pushGroupKeys: {
    name: 'onb-gwevsub-${i}-${uniqueString(key)}'
    scope: resourceGroup(split(key, '/')[0], split(key, '/')[1])
    params: {
      topicName: 'evgt-gateways-${resourceToken}'
      tags: allTags
      queueId: serviceBus.outputs.gatewayEventsQueueId
      subscribe: true
    }
    dependsOn: [
      rbacApp // the topics' identities may send to gateway-events before anything is delivered
    ]
  }
]

// ---------------------------------------------------------------- the app
var subnetIdLists = [for (v, i) in allowedVnets: rbacNetwork[i].outputs.subnetIds]

// Every app setting the app reads is listed in shared/settings_registry.py; the tests check that
// this file and function-app.bicep write exactly the ones marked for deployment.
// Policy settings are JSON arrays (see docs/deploy.md "Policy settings"); the roles are names,
// exactly the strings a request carries.
var policySettings = {
  POLICY_ALLOWED_APIM_SERVICES: string(apimServiceIds)
  POLICY_ALLOWED_SUBNETS: string(flatten(subnetIdLists))
  POLICY_ALLOWED_DNS_RESOURCE_GROUPS: string(dnsGroupIds)
  POLICY_ALLOWED_ROLES_SERVICE: string(allowedRolesService)
  POLICY_ALLOWED_ROLES_WORKSPACE: string(allowedRolesWorkspace)
  POLICY_ALLOWED_ROLES_GATEWAY: string(allowedRolesGateway)
  POLICY_MAX_GATEWAY_UNITS: string(maxGatewayUnits)
  POLICY_WORKSPACE_NAME_PATTERN: workspaceNamePattern
  POLICY_REQUIRE_APPROVAL: requireApproval ? 'true' : 'false'
  POLICY_APPROVAL_TIMEOUT_HOURS: string(approvalTimeoutHours)
  POLICY_REMINDER_HOURS: string(reminderHours)
  POLICY_BUILD_DEADLINE_HOURS: string(buildDeadlineHours)
  POLICY_STALLED_TIMEOUT_HOURS: string(stalledTimeoutHours)
  POLICY_PRIVATE_IP_TIMEOUT_HOURS: string(privateIpTimeoutHours)
  POLICY_FAILED_STEP_HOLD_HOURS: string(failedStepHoldHours)
  POLICY_GATEWAY_UNIT_MONTHLY_PRICE: gatewayUnitMonthlyPrice
  POLICY_PRICE_CURRENCY: toUpper(priceCurrency)
  POLICY_GATEWAY_PUSH_SIGNAL: gatewayPushSignal ? 'true' : 'false'
}

// Identity-based Service Bus connection: the trigger's connection="ServiceBusConnection" resolves
// these three settings; no connection string exists.
var serviceBusSettings = {
  ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identity.outputs.clientId
  EVENTS_TOPIC: eventsTopicName
}

// The Durable backend is chosen here, not by editing host.json: the Functions host lets an app
// setting AzureFunctionsJobHost__<path> override the host.json value at <path>
// (https://learn.microsoft.com/azure/azure-functions/functions-host-json#override-hostjson-values).
// host.json keeps the Azure Storage default and the versioning settings; with the scheduler
// these settings select the provider type `azureManaged` and its connection setting, as the
// Durable Task Scheduler samples for Python do in host.json
// (Azure-Samples/Durable-Task-Scheduler, samples/durable-functions/python/*/host.json). The
// provider ships in the default extension bundle 4.x (Azure/azure-functions-extension-bundles
// #735 updates it in bundle 4.38.1), which host.json's "[4.*, 5.0.0)" resolves to.
// The task hub name is set for both backends, so taskHubName names the hub either way.
var hubSettings = {
  AzureFunctionsJobHost__extensions__durableTask__hubName: taskHubName
}
// The scheduler "connection string" holds the endpoint and the identity's client id only.
var durableSettings = useScheduler ? {
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${scheduler.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${identity.outputs.clientId}'
} : {}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: allTags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    authIdentityId: authIdentity.outputs.id
    authIdentityClientId: authIdentity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    appSettings: union(serviceBusSettings, hubSettings, durableSettings, policySettings)
    maximumInstanceCount: maximumInstanceCount
    virtualNetworkSubnetId: vnetEnabled ? network.outputs.appSubnetId : ''
    authClientId: entraClientId
    authTenantId: entraTenantId
    allowedAudiences: entraAllowedAudiences
  }
  dependsOn: [
    rbacApp
    endpoints
  ]
}

// ---------------------------------------------------------------- diagnostics and alerts
// Every app resource sends its resource logs and metrics to the Log Analytics workspace;
// alerts go to one action group (docs/deploy.md "Alerts and diagnostics").
module diagnostics 'modules/diagnostics.bicep' = {
  name: 'diagnostics'
  scope: rg
  params: {
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
    functionAppName: functionApp.outputs.name
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    schedulerName: useScheduler ? scheduler.outputs.schedulerName : ''
    schedulerDiagnostics: schedulerDiagnostics
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: allTags
    namePrefix: 'onboarding-${resourceToken}'
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    serviceBusNamespaceName: serviceBus.outputs.name
    alertEmail: alertEmail
    operatorWaitAlertHours: operatorWaitAlertHours
  }
}

// ---------------------------------------------------------------- outputs (azd env values)
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = entraTenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URI string = functionApp.outputs.uri
output AZURE_CLIENT_ID string = identity.outputs.clientId
output AZURE_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output SERVICEBUS_NAMESPACE string = serviceBus.outputs.name
output SERVICEBUS_FULLY_QUALIFIED_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output SERVICEBUS_QUEUE_NAME string = serviceBus.outputs.queueName
output SERVICEBUS_TOPIC_NAME string = serviceBus.outputs.topicName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useScheduler ? scheduler.outputs.endpoint : ''
output ENTRA_API_CLIENT_ID string = entraClientId
output ALERT_ACTION_GROUP_ID string = alerts.outputs.actionGroupId
output ONBOARDING_WORKBOOK_ID string = alerts.outputs.workbookId
output VNET_ENABLED bool = vnetEnabled
output AZURE_EGRESS_IP string = vnetEnabled ? network.outputs.egressIp : ''
output AZURE_AUTH_IDENTITY_CLIENT_ID string = authIdentity.outputs.clientId
output AZURE_AUTH_IDENTITY_PRINCIPAL_ID string = authIdentity.outputs.principalId
output AZURE_DASHBOARD_URL string = '${functionApp.outputs.uri}/api/dashboard'

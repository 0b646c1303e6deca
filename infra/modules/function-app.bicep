// The onboarding Function App on the Flex Consumption plan (Linux, Python 3.11), running as its
// user-assigned managed identity. No connection strings or keys anywhere: AzureWebJobsStorage,
// the Service Bus trigger connection, Application Insights and the Durable Task Scheduler all use
// identity-based settings. App Service authentication (Easy Auth, authsettingsV2) validates Entra
// ID bearer tokens for the app registration and answers 401 to anonymous calls before any
// function runs; the app then authorises by app role from x-ms-client-principal.
// Shapes: https://learn.microsoft.com/azure/templates/microsoft.web/sites (functionAppConfig, api 2024-04-01)
//         https://learn.microsoft.com/azure/templates/microsoft.web/sites/config-authsettingsv2
//         https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity

@description('Function App name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags for plan and app. The app also gets azd-service-name so azd deploys to it.')
param tags object = {}

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (AZURE_CLIENT_ID and the __clientId settings).')
param identityClientId string

@description('Resource id of the sign-in identity (App Service authentication\'s federated credential; holds no role).')
param authIdentityId string

@description('Client id of the sign-in identity (OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID).')
param authIdentityClientId string

@description('Storage account for the host, the Durable backend and the deployment package.')
param storageAccountName string

@description('Blob endpoint of that account (https://<name>.blob.core.windows.net/).')
param storageBlobEndpoint string

@description('Container holding the deployment package.')
param deploymentContainerName string

@description('Application Insights connection string (not a secret when local auth is disabled).')
param applicationInsightsConnectionString string

@description('App settings specific to this app (Service Bus, Durable backend, policy). Merged over the base settings.')
param appSettings object = {}

@description('Python version of the Flex runtime.')
@allowed([
  '3.11'
  '3.12'
])
param pythonVersion string = '3.11'

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on instances (caps ARM write rate and cost).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Subnet for VNet integration (locked-down mode); empty = none. Outbound traffic then leaves through the VNet (private endpoints, NAT gateway).')
param virtualNetworkSubnetId string = ''

@description('Client (application) id of the Entra app registration that represents the API.')
param authClientId string

@description('Entra tenant id that issues the tokens.')
param authTenantId string

@description('Accepted token audiences. Empty = api://<authClientId> and the bare client id.')
param allowedAudiences array = []

var audiences = empty(allowedAudiences) ? [
  'api://${authClientId}'
  authClientId
] : allowedAudiences

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
      '${authIdentityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    httpsOnly: true
    clientAffinityEnabled: false
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

// The dashboard page and its static assets (triggers/dashboard.py); data is never served here.
var dashboardPaths = [
  '/api/dashboard'
  '/api/dashboard/app.js'
  '/api/dashboard/app.css'
]

// Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION as settings
// (functionAppConfig.runtime replaces them), so they are deliberately absent.
var baseSettings = {
  AZURE_CLIENT_ID: identityClientId
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // The operators' search index: a table in the same account, reached with the same identity.
  RUN_INDEX_ENDPOINT: 'https://${storageAccountName}.table.${environment().suffixes.storage}'
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // host.json runs the host in OpenTelemetry mode; this lets the Python worker join the host's
  // trace context, and the app exports its own logs and spans (shared/telemetry.py), so the host
  // does not duplicate them (https://learn.microsoft.com/azure/azure-functions/opentelemetry-howto).
  PYTHON_ENABLE_OPENTELEMETRY: 'true'
  // App Service authentication signs its client assertion with this identity instead of a
  // client secret (the registration's clientSecretSettingName names this setting).
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: authIdentityClientId
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union(baseSettings, appSettings)
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    // API clients get a 401, not a login redirect. The dashboard's static files carry no data
    // and load without a session; its API calls then get the 401 and it offers
    // /.auth/login/aad (the platform's sign-in), after which the session cookie authenticates.
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: dashboardPaths
    }
    httpSettings: {
      requireHttps: true
      forwardProxy: {
        convention: 'NoProxy'
      }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        // A confidential client without a secret: the sign-in identity's federated credential
        // is the client assertion, so browser sign-in uses the authorization code flow (the
        // implicit flow stays off on the registration; the postprovision hook registers
        // /.auth/login/aad/callback as its redirect URI).
        registration: {
          clientId: authClientId
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
          openIdIssuer: '${environment().authentication.loginEndpoint}${authTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: audiences
        }
        login: {
          disableWWWAuthenticate: false
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

// No publishing with basic (user/password) credentials: deployments use Entra (azd / az CLI).
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = app.name
output uri string = 'https://${app.properties.defaultHostName}'
output id string = app.id

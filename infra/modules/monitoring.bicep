// Log Analytics workspace + workspace-based Application Insights for the onboarding app.
// Local (instrumentation-key) authentication is disabled on both: telemetry is accepted only
// with an Entra token, which the app gets from its managed identity (Monitoring Metrics
// Publisher on the component, granted in rbac-app.bicep; the app setting
// APPLICATIONINSIGHTS_AUTHENTICATION_STRING tells the SDK/host to use it).
// Shapes: https://learn.microsoft.com/azure/templates/microsoft.insights/components
//         https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication

@description('Log Analytics workspace name.')
param logAnalyticsName string

@description('Application Insights component name.')
param applicationInsightsName string

@description('Azure region.')
param location string

@description('Tags for both resources.')
param tags object = {}

@description('Days to keep logs (regulated workloads usually keep at least 90).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 90

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
    RetentionInDays: retentionInDays
  }
}

output applicationInsightsName string = applicationInsights.name
// The connection string names the ingestion endpoint and component; with local auth disabled it
// grants nothing on its own (ingestion requires the identity's token), so it is not a secret.
output connectionString string = applicationInsights.properties.ConnectionString
output logAnalyticsId string = logAnalytics.id

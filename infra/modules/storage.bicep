// Storage account of the onboarding Function App: the Functions host (AzureWebJobsStorage), the
// Durable Functions Azure Storage backend (queues, tables, blobs of the task hub) and the Flex
// Consumption deployment container. Shared-key access is disabled, so only Entra identities
// (the app's user-assigned identity, data roles granted in rbac-app.bicep) can read or write.
// Shape: https://learn.microsoft.com/azure/templates/microsoft.storage/storageaccounts
// Flex deployment container: https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the account.')
param tags object = {}

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Replication. ZRS survives a zone outage where the region has zones.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string = 'Standard_ZRS'

// Network mode (main.bicep vnetEnabled decides the values; the defaults are the public mode).
@description('Public endpoint: Enabled (public mode, or locked-down with allowedIpRanges) or Disabled (locked-down: private endpoints only).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@description('Firewall default: Allow (public mode) or Deny (locked-down: only private endpoints, trusted Azure services and allowedIpRanges).')
@allowed([
  'Allow'
  'Deny'
])
param networkDefaultAction string = 'Allow'

@description('Public IP ranges (CIDR) let through the firewall, e.g. a deployment runner outside the VNet.')
param allowedIpRanges array = []

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Without vnetEnabled, Flex Consumption reaches storage over its public endpoint (access is
    // still identity-only: no keys, no SAS). With it, the app uses private endpoints and the
    // public endpoint is off, or open only to allowedIpRanges (docs/deploy.md section 7).
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: networkDefaultAction
      bypass: 'AzureServices'
      ipRules: [
        for range in allowedIpRanges: {
          action: 'Allow'
          value: range
        }
      ]
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
        }
        file: {
          enabled: true
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob

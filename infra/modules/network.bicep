// Network of the locked-down mode (main.bicep vnetEnabled = true): one VNet in the app resource
// group with two subnets, a NAT gateway that gives the app one fixed egress address, and the
// private DNS zones the private endpoints register in.
//   app subnet                Flex Consumption VNet integration (delegated to
//                             Microsoft.App/environments, as Flex requires); its outbound
//                             traffic leaves through the NAT gateway's public IP, which the
//                             Durable Task Scheduler's ipAllowlist then names
//   private-endpoints subnet  storage blob/queue/table and the Service Bus namespace
// Both subnets carry an NSG with the platform's default rules only (no inbound from the
// internet). Shapes: https://learn.microsoft.com/azure/azure-functions/flex-consumption-how-to#enable-virtual-network-integration
// and the Azure-Samples Flex Consumption azd templates (infra/app/vnet.bicep).

@description('Virtual network name.')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Address space of the VNet (a /24 is enough: /26 for the app, /27 for private endpoints).')
param addressPrefix string = '10.60.0.0/24'

@description('App subnet (Flex Consumption integration), inside addressPrefix; /26 or larger.')
param appSubnetPrefix string = '10.60.0.0/26'

@description('Private endpoint subnet, inside addressPrefix.')
param privateEndpointSubnetPrefix string = '10.60.0.64/27'

@description('NAT gateway name.')
param natGatewayName string

@description('Public IP name of the NAT gateway.')
param publicIpName string

@description('NSG name prefix.')
param nsgName string

// The private DNS zones of the endpoints (privatelink.* names resolve only inside the VNet), in
// the order of main.bicep's privateEndpoints: blob, queue, table, Service Bus namespace.
var zoneNames = [
  'privatelink.blob.${environment().suffixes.storage}'
  'privatelink.queue.${environment().suffixes.storage}'
  'privatelink.table.${environment().suffixes.storage}'
  'privatelink.servicebus.windows.net'
]

resource publicIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: publicIpName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

resource natGateway 'Microsoft.Network/natGateways@2024-05-01' = {
  name: natGatewayName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    idleTimeoutInMinutes: 4
    publicIpAddresses: [
      {
        id: publicIp.id
      }
    ]
  }
}

resource appNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${nsgName}-app'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource privateEndpointNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${nsgName}-private-endpoints'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
          natGateway: {
            id: natGateway.id
          }
          networkSecurityGroup: {
            id: appNsg.id
          }
          defaultOutboundAccess: false
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Enabled'
          networkSecurityGroup: {
            id: privateEndpointNsg.id
          }
          defaultOutboundAccess: false
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [
  for zoneName in zoneNames: {
    name: zoneName
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [
  for (zoneName, i) in zoneNames: {
    parent: zones[i]
    name: 'link-${name}'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

output vnetId string = vnet.id
output appSubnetId string = vnet.properties.subnets[0].id
output privateEndpointSubnetId string = vnet.properties.subnets[1].id
output egressIp string = publicIp.properties.ipAddress
output zoneIds array = [for (zoneName, i) in zoneNames: zones[i].id]

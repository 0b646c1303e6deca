// Gateway push signal (gatewayPushSignal, issue 17 item 2), deployed in one gateway resource
// group: an Event Grid system topic on the group (topic type Microsoft.Resources.ResourceGroups)
// and, once its identity may send (subscribe = true, after gateway-events-sender.bicep), an event
// subscription that delivers the gateways' ResourceWriteSuccess/ResourceWriteFailure events to
// the app's Service Bus queue `gateway-events` with the topic's own managed identity
// (deliveryWithResourceIdentity: no key, no connection string). The app's function
// gateway_write_event reads the queue (triggers/gateway_signal.py).
// Filters: only Microsoft.ApiManagement/gateways/* subjects and the gateway write operation, so
// the queue does not carry every write of the group (role assignments, deployments, links).
// Shapes and api-version: azure-rest-api-specs specification/eventgrid/resource-manager/
// Microsoft.EventGrid/stable/2025-02-15 (SystemTopics, SystemTopicEventSubscriptions,
// DeliveryWithResourceIdentity, ServiceBusQueueEventSubscriptionDestination, the
// StringIn advanced filter); the event schema: learn.microsoft.com/azure/event-grid/
// event-schema-resource-groups.

@description('System topic name (one per gateway resource group).')
param topicName string

@description('Tags for the system topic.')
param tags object = {}

@description('Resource id of the app\'s Service Bus queue gateway-events.')
param queueId string

@description('Create the event subscription (its delivery identity already holds the sender role).')
param subscribe bool = false

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: topicName
  // Resource group (and subscription) system topics are global.
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: resourceGroup().id
    topicType: 'Microsoft.Resources.ResourceGroups'
  }
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (subscribe) {
  parent: topic
  name: 'gateway-builds'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    deliveryWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      destination: {
        endpointType: 'ServiceBusQueue'
        properties: {
          resourceId: queueId
        }
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
        'Microsoft.Resources.ResourceWriteFailure'
      ]
      subjectBeginsWith: '${resourceGroup().id}/providers/Microsoft.ApiManagement/gateways/'
      isSubjectCaseSensitive: false
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: [
            'Microsoft.ApiManagement/gateways/write'
          ]
        }
      ]
    }
    retryPolicy: {
      // A late event is worth little: the waiter's next poll finds the build's end anyway.
      maxDeliveryAttempts: 10
      eventTimeToLiveInMinutes: 60
    }
  }
}

output principalId string = topic.identity.principalId

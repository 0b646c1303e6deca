// Alerts of the onboarding app, all routed to one action group (e-mail), and a workbook of
// onboarding runs by outcome, step and duration.
//   dead-lettered messages       metric alert, Service Bus DeadletteredMessages > 0 per entity
//   run waiting on an operator   log alert, a run's latest milestone is "waiting on operator"
//                                and that wait began more than operatorWaitAlertHours ago
//   run failed                   log alert, a run ended Failed or Compensated (nothing left over)
//   run left resources behind    log alert, a run ended CompensationFailed (severity 1)
//   function failures            log alert, a failed invocation of a trigger or orchestrator
//                                function (activities fail and retry by design; their lasting
//                                failures end runs, which the run alerts catch)
// The log alerts read the run milestones the orchestrator logs (orchestrators/ledger.py through
// shared/run_log.py) with their custom dimensions ticketId, instanceId, step, event, outcome;
// each alert is split per ticket, so one notification names one ticket.
// tests/infra/test_alerts.py checks every milestone, dimension and function name used here
// against the code.
// APIs (GA): actionGroups 2023-01-01, metricAlerts 2018-03-01, scheduledQueryRules 2023-12-01,
// workbooks 2023-06-01 (azure-rest-api-specs, specification/monitor and
// specification/applicationinsights, stable/).

@description('Region of the log alerts and the workbook (the Application Insights region).')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Application Insights component the log alerts and the workbook query.')
param applicationInsightsName string

@description('Service Bus namespace whose dead-letter queues are watched.')
param serviceBusNamespaceName string

@description('E-mail address (a team distribution list) that receives every alert.')
param alertEmail string

@description('Hours a run may wait on an operator before the platform team is alerted. At most 24: the alert looks back 48 hours and a waiting run logs its wait again at every reminder (POLICY_REMINDER_HOURS, 24 by default).')
@minValue(1)
@maxValue(24)
param operatorWaitAlertHours int = 24

@description('Name prefix of the alert rules.')
param namePrefix string

// The activity functions (shared/activity_table.py); their failures are retried by the saga.
var activityFunctions = [
  'preflight'
  'ensure_nsg'
  'undo_nsg'
  'configure_subnet'
  'restore_subnet'
  'create_workspace'
  'delete_workspace'
  'begin_gateway'
  'get_gateway_state'
  'delete_gateway'
  'link_workspace'
  'unlink_workspace'
  'get_link_state'
  'ensure_private_dns'
  'undo_private_dns'
  'assign_role'
  'remove_role'
  'publish_event'
  'gateway_presence'
  'hand_over_gateway'
  'list_team_records'
  'observe_team'
  'offboard_preflight'
  'read_build_durations'
  'read_team'
  'record_build_duration'
  'record_drift'
  'release_grant'
  'restore_grant'
  'update_team'
  'watch_gateway'
]
var activityList = '("${join(activityFunctions, '", "')}")'

var milestoneMessages = '("onboarding started", "step done", "waiting on operator", "compensating", "onboarding succeeded", "onboarding ended")'

var waitingTemplate = '''
let milestones = traces
    | where message in MILESTONES
    | extend instanceId = tostring(customDimensions.instanceId),
             ticketId = tostring(customDimensions.ticketId),
             step = tostring(customDimensions.step),
             waitEvent = tostring(customDimensions.event);
milestones
| summarize arg_max(timestamp, message, step, waitEvent, ticketId) by instanceId
| where message == "waiting on operator"
| join kind=inner (
    milestones
    | where message == "waiting on operator"
    | summarize waitingSince = min(timestamp) by instanceId, waitEvent
  ) on instanceId, waitEvent
| where waitingSince < ago(HOURSh)
| project ticketId, instanceId, step, waitEvent, waitingSince
'''
var waitingQuery = replace(replace(waitingTemplate, 'MILESTONES', milestoneMessages), 'HOURS', string(operatorWaitAlertHours))

var endedTemplate = '''
traces
| where message == "onboarding ended"
| extend outcome = tostring(customDimensions.outcome),
         ticketId = tostring(customDimensions.ticketId),
         instanceId = tostring(customDimensions.instanceId)
| where outcome in OUTCOMES
| project timestamp, ticketId, instanceId, outcome
'''
var failedQuery = replace(endedTemplate, 'OUTCOMES', '("Failed", "Compensated")')
var leftoversQuery = replace(endedTemplate, 'OUTCOMES', '("CompensationFailed")')

var functionFailuresTemplate = '''
requests
| where success == false
| where operation_Name !in (ACTIVITIES)
| summarize failures = count() by operation_Name
'''
var functionFailuresQuery = replace(functionFailuresTemplate, '(ACTIVITIES)', activityList)

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-platform-team'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'onboarding'
    enabled: true
    emailReceivers: [
      {
        name: 'platform-team'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource deadLetters 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-dead-lettered-messages'
  location: 'global'
  tags: tags
  properties: {
    description: 'A message is in a dead-letter queue of the onboarding namespace (requests that failed 5 deliveries, or expired events). Read it with `onboard` or Service Bus Explorer, fix the cause, resubmit or purge (docs/operations.md).'
    severity: 2
    enabled: true
    scopes: [
      namespace.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

var logAlerts = [
  {
    key: 'run-waiting-on-operator'
    displayName: 'Onboarding run waiting on an operator for over ${operatorWaitAlertHours} h'
    description: 'A run has waited on an operator (approval, stalled build, private IP, held failure) longer than the threshold. Answer it in the dashboard or with `onboard` (docs/operators.md).'
    severity: 2
    frequency: 'PT1H'
    window: 'P2D'
    query: waitingQuery
    dimensions: [
      'ticketId'
      'instanceId'
    ]
  }
  {
    key: 'run-failed'
    displayName: 'Onboarding run failed'
    description: 'A run ended Failed or Compensated: nothing was left behind, the requester was notified. Check its timeline for the failed step.'
    severity: 2
    frequency: 'PT15M'
    window: 'PT15M'
    query: failedQuery
    dimensions: [
      'ticketId'
      'instanceId'
    ]
  }
  {
    key: 'run-compensation-failed'
    displayName: 'Onboarding run left resources behind (CompensationFailed)'
    description: 'An undo failed after its retries: the run output and its notification list the leftovers. Remove them by hand (docs/operations.md).'
    severity: 1
    frequency: 'PT15M'
    window: 'PT15M'
    query: leftoversQuery
    dimensions: [
      'ticketId'
      'instanceId'
    ]
  }
  {
    key: 'function-failures'
    displayName: 'Onboarding function failures'
    description: 'An HTTP, Service Bus or orchestrator function invocation failed. Activity failures are retried by the saga and are not counted here.'
    severity: 2
    frequency: 'PT15M'
    window: 'PT15M'
    query: functionFailuresQuery
    dimensions: [
      'operation_Name'
    ]
  }
]

resource logAlertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in logAlerts: {
    name: '${namePrefix}-${alert.key}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: alert.displayName
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [
        applicationInsights.id
      ]
      evaluationFrequency: alert.frequency
      windowSize: alert.window
      autoMitigate: false
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            dimensions: [
              for d in alert.dimensions: {
                name: d
                operator: 'Include'
                values: [
                  '*'
                ]
              }
            ]
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [
          actionGroup.id
        ]
      }
    }
  }
]

// The workbook's queries read the same milestones (infra/workbooks/onboarding-runs.json).
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, applicationInsights.id, 'onboarding-runs')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Onboarding runs'
    category: 'workbook'
    sourceId: applicationInsights.id
    serializedData: loadTextContent('../workbooks/onboarding-runs.json')
  }
}

output actionGroupId string = actionGroup.id
output workbookId string = workbook.id

/**
 * A local Serverless Framework plugin: the stack's operations resources, generated from ONE description
 * (deploy/operations/description.cjs) for every function in serverless.yml: CloudWatch alarms (iterator age,
 * errors, throttles, dead letters and the on-failure queue for each Kinesis consumer; ProcessingFailed, response
 * overflow, duration near the timeout for each Firehose blueprint; failed scalings and refused deliveries for the
 * shard autoscaler), one encrypted operations topic they all notify, the stage's dashboard, and an output per
 * on-failure queue URL (for `npm run replay`).
 *
 * Settings (custom.operations in serverless.yml, each from a --param):
 *   alarms                  operationsAlarms=false leaves every alarm out (a CloudFormation condition)
 *   email                   operationsEmail=you@example.com subscribes an address to the topic (confirm the e-mail)
 *   iteratorAgeThresholdMs  iteratorAgeAlarmMs=<ms>, default 60000
 *   durationPercent         durationAlarmPercent=<1-100>, default 80 (Firehose blueprints' duration alarm)
 * The custom metrics' namespace is provider.environment.POWERTOOLS_METRICS_NAMESPACE (what the functions emit to).
 */
const { operationsResources } = require('./resources.cjs');

class Operations {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      // serverless.yml's own resources (the on-failure queues) are merged by then; the template is not saved yet.
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.addResources(),
    };
  }

  addResources() {
    const service = this.serverless.service;
    const provider = this.serverless.getProvider('aws');
    const settings = service.custom?.operations ?? {};
    const autoscalerStreams = (service.custom?.shardAutoscaler?.streams ?? []).map((entry) =>
      typeof entry === 'string' ? entry : entry.streamName,
    );
    const { resources, conditions, outputs } = operationsResources(
      {
        functions: service.functions ?? {},
        provider: service.provider,
        service: service.service,
        stage: provider.getStage(),
        lambdaLogicalId: (name) => provider.naming.getLambdaLogicalId(name),
        autoscalerStreams,
      },
      { ...settings, namespace: service.provider.environment?.POWERTOOLS_METRICS_NAMESPACE },
    );
    const template = service.provider.compiledCloudFormationTemplate;
    for (const [id, resource] of Object.entries(resources)) {
      if (template.Resources[id]) throw new Error(`operations: ${id} is already in the template`);
      template.Resources[id] = resource;
    }
    template.Conditions = { ...(template.Conditions ?? {}), ...conditions };
    template.Outputs = { ...(template.Outputs ?? {}), ...outputs };
    const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').length;
    this.serverless.cli?.log?.(
      `operations: ${alarms} alarms for ${Object.keys(service.functions ?? {}).length} functions, a dashboard`,
    );
  }
}

module.exports = Operations;

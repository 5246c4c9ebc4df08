/**
 * A local Serverless Framework plugin: adds the scale-up and scale-down alarm of every stream in
 * `custom.shardAutoscaler.streams` to the packaged CloudFormation template. Serverless v3 has no loops, so a
 * stream list cannot become resources in serverless.yml itself; this keeps "add a stream" a one-line change.
 *
 * The alarms' ALARM action is the SNS trigger topic when `custom.shardAutoscaler.trigger` is `sns` (a
 * CloudFormation condition, ShardAutoscalerSnsTrigger); with `eventbridge` the alarms have no action and the
 * EventBridge rule matches their state changes instead.
 *
 * When a stream lists `consumerFunctions`, it also adds to ShardAutoscalerRole (serverless.yml) the statement
 * allowing lambda:PutFunctionConcurrency on exactly those functions; without consumers there is no statement.
 *
 * `serverless invoke local`: the function's ALARM_ACTIONS and NOTIFICATION_TOPIC_ARN fall back to the stack's
 * topics (Fn::If / Ref), which only a deployed stack has; osls would look them up in CloudFormation and fails
 * offline ("Unsupported environment variable format"). A value set in the environment is taken as it is
 * (`${env:VAR, ...}` in serverless.yml); otherwise a CloudFormation value is empty for the local run (no alarm
 * actions, no notifications), and the run says so: only when the invoked function is the autoscaler.
 */
const { alarmResources, consumerConcurrencyStatement } = require('./resources.cjs');

const ROLE = 'ShardAutoscalerRole';
const ROLE_POLICY = 'shard-autoscaler';
const HANDLER_PREFIX = 'functions/shard-autoscaler/';

class ShardAutoscalerAlarms {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options ?? {};
    this.hooks = {
      // Before any command's lifecycle, once serverless.yml's variables are resolved.
      initialize: () => this.localEnvironment(),
      // After the functions and their events are compiled, before serverless.yml's own `resources` are merged.
      'package:compileEvents': () => this.addAlarms(),
      // The role is one of serverless.yml's own resources: present once they are merged, before the template is saved.
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.addConsumerConcurrencyStatement(),
    };
  }

  localEnvironment() {
    const commands = this.serverless.processedInput?.commands ?? [];
    if (commands.join(' ') !== 'invoke local') return;
    // Only when the invoked function is the autoscaler: another function's run has nothing to do with these values.
    const name = this.options.function;
    const definition = name === undefined ? undefined : this.serverless.service.functions?.[name];
    if (!String(definition?.handler ?? '').startsWith(HANDLER_PREFIX)) return;
    const environment = definition.environment ?? {};
    const emptied = Object.keys(environment).filter(
      (key) => typeof environment[key] === 'object' && environment[key] !== null,
    );
    for (const key of emptied) environment[key] = '';
    if (emptied.length > 0) {
      this.serverless.cli?.log?.(
        `${name}: ${emptied.join(', ')} empty for invoke local (values of the deployed stack; set them in the environment to use others)`,
      );
    }
  }

  addConsumerConcurrencyStatement() {
    const settings = this.serverless.service.custom?.shardAutoscaler;
    if (!settings) return;
    const statement = consumerConcurrencyStatement(settings);
    if (!statement) return;
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const policy = template.Resources[ROLE]?.Properties?.Policies?.find((p) => p.PolicyName === ROLE_POLICY);
    if (!policy) throw new Error(`shard-autoscaler: ${ROLE} with the inline policy ${ROLE_POLICY} not found`);
    policy.PolicyDocument.Statement.push(statement);
    this.serverless.cli?.log?.(
      `shard-autoscaler: lambda:PutFunctionConcurrency on ${statement.Resource.length} consumer function(s)`,
    );
  }

  addAlarms() {
    const settings = this.serverless.service.custom?.shardAutoscaler;
    if (!settings) return;
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const actions = {
      'Fn::If': [
        'ShardAutoscalerSnsTrigger',
        [{ Ref: 'ShardAutoscalerAlarmTopic' }],
        { Ref: 'AWS::NoValue' },
      ],
    };
    const alarms = alarmResources(settings, actions);
    Object.assign(template.Resources, alarms);
    this.serverless.cli?.log?.(
      `shard-autoscaler: ${Object.keys(alarms).length} alarms for ${Object.keys(alarms).length / 2} stream(s)`,
    );
  }
}

module.exports = ShardAutoscalerAlarms;

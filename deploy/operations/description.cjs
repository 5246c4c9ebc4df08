/**
 * The ONE description of how the kit is operated: which alarms each kind of function gets, and what the stage's
 * dashboard shows. deploy/operations/resources.cjs turns it into CloudFormation (alarms, topic, dashboard);
 * test/integration/operations.test.ts checks the packaged result against the metrics the code emits.
 *
 * Every function of serverless.yml is one of three kinds (resources.cjs classifies them, and a function of none
 * stops the package, so a new function cannot ship without alarms):
 *   consumer    a Kinesis event source mapping with an SQS on-failure destination (kinesis-to-*)
 *   firehose    a Firehose transformation (firehose-*)
 *   autoscaler  the shard autoscaler (invoked asynchronously by SNS or EventBridge; streams from
 *               custom.shardAutoscaler.streams)
 *
 * Metrics used here, and where they come from:
 *   KIT (the stack's POWERTOOLS_METRICS_NAMESPACE, default KinesisLambdaKit), dimension `service` =
 *     POWERTOOLS_SERVICE_NAME: shared/kinesis/runner.ts (RecordsIn, RecordsOut, RecordsFailed, RecordsDeadLettered,
 *     ...) and shared/firehose/runner.ts (FirehoseRecords*), flushed by shared/middleware (Powertools Metrics: EMF
 *     with Dimensions [["service"]]). The autoscaler's act.ts emits ScalingDecisions / ScalingFailures with
 *     dimensions service, StreamName, Outcome, and ShardCountChange and ShardCount (the count after each decision)
 *     with service, StreamName.
 *   AWS/Lambda, dimension FunctionName: Errors, Throttles, Duration, and IteratorAge (the age of the last record
 *     of each batch the function's Kinesis event source mapping received: the consumer's own lag; the stream's
 *     AWS/Kinesis GetRecords.IteratorAgeMilliseconds is the maximum over ALL its consumers, so it is shown on the
 *     dashboard, not alarmed per function).
 *   AWS/SQS, dimension QueueName: ApproximateNumberOfMessagesVisible of each on-failure queue.
 *
 * An alarm entry: { id, title, metric(fn) -> { namespace, name, dimensions, statistic }, threshold(fn, settings),
 * comparison?, period?, evaluationPeriods?, datapointsToAlarm?, perStream?, description(fn, settings) }. The
 * description is the alarm's AlarmDescription: what it means AND what to do.
 */

const KIT = 'KIT';

const kit =
  (name, statistic = 'Sum') =>
  (fn) => ({
    namespace: KIT,
    name,
    dimensions: { service: fn.service },
    statistic,
  });
const lambda =
  (name, statistic = 'Sum') =>
  (fn) => ({
    namespace: 'AWS/Lambda',
    name,
    dimensions: { FunctionName: fn.functionNameRef },
    statistic,
  });
const failureQueue = (fn) => ({
  namespace: 'AWS/SQS',
  name: 'ApproximateNumberOfMessagesVisible',
  dimensions: { QueueName: { 'Fn::GetAtt': [fn.failureQueue, 'QueueName'] } },
  statistic: 'Maximum',
});

const errors = {
  id: 'errors',
  title: 'function errors',
  metric: lambda('Errors'),
  threshold: () => 0,
  description: (fn) =>
    `${fn.name}: the function threw or timed out in the last 5 minutes. Do: read its log group ` +
    `(/aws/lambda/${fn.deployedName}) for "Invocation failed" lines (errorName names the cause); a configuration ` +
    `error names its variable. ${fn.kind === 'consumer' ? 'Lambda retries the batch (bisecting it) and, when retries run out, leaves a pointer in the on-failure queue.' : ''}`,
};

const throttles = {
  id: 'throttles',
  title: 'throttles',
  metric: lambda('Throttles'),
  threshold: () => 0,
  description: (fn) =>
    `${fn.name}: Lambda throttled invocations in the last 5 minutes (account or reserved concurrency). Do: ` +
    `check the account's ConcurrentExecutions and this function's reserved concurrency; the stream waits ` +
    `meanwhile (iterator age grows) but nothing is lost while the records are within the stream's retention.`,
};

const consumerAlarms = [
  {
    id: 'iterator-age',
    title: 'iterator age',
    metric: lambda('IteratorAge', 'Maximum'),
    threshold: (_fn, settings) => settings.iteratorAgeThresholdMs,
    period: 60,
    evaluationPeriods: 5,
    datapointsToAlarm: 5,
    description: (fn, settings) =>
      `${fn.name}: the newest record of each batch has been older than ${settings.iteratorAgeThresholdMs} ms for 5 ` +
      `minutes: the consumer lags its stream. Do: look at the dashboard (errors, sink latency, records failed); ` +
      `a sink that throttles or fails makes Lambda re-deliver; add shards or raise parallelizationFactor if it is ` +
      `load. Records older than maximumRecordAgeInSeconds end in the on-failure queue (replay them: ` +
      `npm run replay -- ${fn.name} --stack ${fn.stack}).`,
  },
  errors,
  throttles,
  {
    id: 'dead-lettered',
    title: 'records dead-lettered',
    metric: kit('RecordsDeadLettered'),
    threshold: () => 0,
    description: (fn) =>
      `${fn.name}: records were written to the dead-letter location (poison: undecodable, refused by the ` +
      `transform or by the destination). Do: read the dead-letter objects (each line has errorName, reason and ` +
      `coordinates); after fixing the cause re-run them: npm run replay:dead-letters -- ${fn.name}.`,
  },
  {
    id: 'failure-queue',
    title: 'on-failure queue not empty',
    metric: failureQueue,
    threshold: () => 0,
    description: (fn) =>
      `${fn.name}: Lambda gave up on a batch (retries or record age exhausted) and left its shard and sequence ` +
      `range in the on-failure queue (${fn.failureQueue}). The records are NOT delivered. Do: fix the cause ` +
      `(function errors, the sink), then replay before the stream's retention ends: ` +
      `npm run replay -- ${fn.name} --stack ${fn.stack} (README, Replay).`,
  },
];

const firehoseAlarms = [
  {
    id: 'processing-failed',
    title: 'records ProcessingFailed',
    metric: kit('FirehoseRecordsProcessingFailed'),
    threshold: () => 0,
    description: (fn) =>
      `${fn.name}: records were answered ProcessingFailed; Firehose writes them to the error output prefix ` +
      `(processing-failed/) of the delivery stream's bucket. Do: read the function's log ("Record answered ` +
      `ProcessingFailed": record id and reason, no payload) and the error objects; fix the input or the ` +
      `configuration, then re-send the rawData of those objects to the delivery stream.`,
  },
  {
    id: 'overflow',
    title: 'response-size overflow',
    metric: kit('FirehoseRecordsOverflowed'),
    threshold: () => 0,
    description: (fn) =>
      `${fn.name}: the response would have passed Firehose's 6 MB limit and records were moved out of it ` +
      `(re-ingested or answered ProcessingFailed, per OVERFLOW). Do: lower the delivery stream's processor ` +
      `buffer size (BufferSizeInMBs) so a batch's output fits; check re-ingestion errors in the log.`,
  },
  {
    id: 'duration',
    title: 'duration near the timeout',
    metric: lambda('Duration', 'Maximum'),
    threshold: (fn, settings) => Math.round((fn.timeoutSeconds * 1000 * settings.durationPercent) / 100),
    description: (fn, settings) =>
      `${fn.name}: an invocation ran longer than ${settings.durationPercent}% of its ${fn.timeoutSeconds} s ` +
      `timeout; past it Firehose retries the whole batch and then sends it to the error prefix. Do: raise the ` +
      `function's memory (more CPU) or timeout, or lower the processor buffer size.`,
  },
  errors,
];

const autoscalerAlarms = [
  {
    id: 'scaling-failures',
    title: 'failed scaling decisions',
    perStream: true,
    metric: (fn, stream) => ({
      namespace: KIT,
      name: 'ScalingFailures',
      dimensions: { service: fn.service, StreamName: stream, Outcome: 'failed' },
      statistic: 'Sum',
    }),
    threshold: () => 0,
    description: (fn, _settings, stream) =>
      `${fn.name}: a scaling of stream ${stream} failed (an AWS call was refused: LimitExceededException, ` +
      `ResourceInUseException, access denied, or it timed out). Do: read the "Shard autoscaler outcome" log line ` +
      `(error, detail, apiCalls); the notification topic has the same. The alarm's next transition asks again.`,
  },
  {
    id: 'failure-queue',
    title: 'alarm deliveries refused',
    metric: failureQueue,
    threshold: () => 0,
    description: (fn) =>
      `${fn.name}: an alarm delivery never reached the function (SNS or EventBridge could not invoke it, or ` +
      `Lambda gave up after its retries); it is described in ${fn.failureQueue}. Do: read the message ` +
      `(requestContext.condition, responseContext), fix the permission or the error, and let the alarm fire ` +
      `again (set it to INSUFFICIENT_DATA); then delete the message.`,
  },
  errors,
];

const ALARMS = { consumer: consumerAlarms, firehose: firehoseAlarms, autoscaler: autoscalerAlarms };

/**
 * The dashboard: one row per function, widgets by kind. A widget is { title, metrics: [metric...], stat?, view? };
 * a metric is as above plus a label. Stream rows (iterator age per stream) are consumer widgets.
 */
const DASHBOARD = {
  consumer: [
    {
      title: (fn) => `${fn.name}: records in / out / failed / dead-lettered`,
      metrics: (fn) =>
        ['RecordsIn', 'RecordsOut', 'RecordsFailed', 'RecordsDeadLettered'].map((name) => kit(name)(fn)),
    },
    {
      title: (fn) => `${fn.name}: iterator age (the function; its stream, all consumers)`,
      metrics: (fn) => [
        lambda('IteratorAge', 'Maximum')(fn),
        {
          namespace: 'AWS/Kinesis',
          name: 'GetRecords.IteratorAgeMilliseconds',
          dimensions: { StreamName: fn.streamName },
          statistic: 'Maximum',
        },
      ],
    },
  ],
  firehose: [
    {
      title: (fn) => `${fn.name}: Firehose results`,
      metrics: (fn) =>
        [
          'FirehoseRecordsIn',
          'FirehoseRecordsOk',
          'FirehoseRecordsDropped',
          'FirehoseRecordsProcessingFailed',
          'FirehoseRecordsOverflowed',
          'FirehoseRecordsReingested',
        ].map((name) => kit(name)(fn)),
    },
  ],
  autoscaler: [
    {
      // act.ts emits ShardCount after every decision on a stream (a scaling's target while it is UPDATING).
      title: (fn) => `${fn.name}: shard count per stream (after each decision)`,
      metrics: (fn) =>
        fn.streams.map((stream) => ({
          namespace: KIT,
          name: 'ShardCount',
          dimensions: { service: fn.service, StreamName: stream },
          statistic: 'Maximum',
        })),
    },
    {
      title: (fn) => `${fn.name}: shard count changes and scaling decisions`,
      metrics: (fn) =>
        fn.streams.flatMap((stream) => [
          {
            namespace: KIT,
            name: 'ShardCountChange',
            dimensions: { service: fn.service, StreamName: stream },
            statistic: 'Sum',
          },
          ...['scaled', 'held', 'stale', 'resynced', 'skipped', 'dry-run'].map((outcome) => ({
            namespace: KIT,
            name: 'ScalingDecisions',
            dimensions: { service: fn.service, StreamName: stream, Outcome: outcome },
            statistic: 'Sum',
          })),
          {
            namespace: KIT,
            name: 'ScalingFailures',
            dimensions: { service: fn.service, StreamName: stream, Outcome: 'failed' },
            statistic: 'Sum',
          },
        ]),
    },
  ],
};

module.exports = { ALARMS, DASHBOARD, KIT };

/**
 * kinesis-to-sns: a Kinesis stream consumer that de-aggregates KPL records, evaluates EventBridge-pattern rules on
 * each JSON user record, and publishes the alerts they raise to an SNS topic (collapsed per invocation, optionally
 * suppressed across invocations), reporting partial batch failures. See README.md.
 */
import { consumerHandler } from '../../shared/kinesis/consumer-handler';
import type { StreamConsumer } from '../../shared/kinesis/runner';
import { kitHandler } from '../../shared/middleware';
import { createS3DeadLetterSink } from '../../shared/sinks/s3-dead-letter';
import { createAlertSink } from './alerts';
import { config } from './config';
import { type AlertMatch, matchRules } from './transform';

type Settings = ReturnType<typeof config>;

function buildConsumer(settings: Settings): StreamConsumer<'json', AlertMatch[]> {
  return {
    format: 'json',
    transform: (record) => matchRules(record, settings.rules),
    sink: createAlertSink({
      topicArn: settings.topicArn,
      rules: settings.rules,
      maxRequestBytes: settings.maxRequestBytes,
      suppression: settings.suppression,
    }),
    deadLetter: createS3DeadLetterSink({
      bucket: settings.deadLetterBucket,
      prefix: settings.deadLetterPrefix,
    }),
  };
}

// Built once per configuration, not per invocation.
export const handler = kitHandler(consumerHandler(config, buildConsumer), { config });

/**
 * kinesis-to-sns: a Kinesis stream consumer that de-aggregates KPL records, evaluates EventBridge-pattern rules on
 * each JSON user record, and publishes the alerts they raise to an SNS topic (collapsed per invocation, optionally
 * suppressed across invocations), reporting partial batch failures. See README.md.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { processKinesisEvent, type StreamConsumer } from '../../shared/kinesis/runner';
import { kitHandler } from '../../shared/middleware';
import { createS3DeadLetterSink } from '../../shared/sinks/s3-dead-letter';
import { createAlertSink } from './alerts';
import { config } from './config';
import { type AlertMatch, matchRules } from './transform';

type Settings = ReturnType<typeof config>;

// Built once per configuration (the config getter caches its object, rules compiled inside), not per invocation.
let consumer: { settings: Settings; value: StreamConsumer<'json', AlertMatch[]> } | undefined;

function consumerFor(settings: Settings): StreamConsumer<'json', AlertMatch[]> {
  if (consumer?.settings !== settings) {
    consumer = {
      settings,
      value: {
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
      },
    };
  }
  return consumer.value;
}

async function kinesisToSns(
  event: KinesisStreamEvent,
  context: Context,
): Promise<KinesisStreamBatchResponse> {
  const settings = config();
  const { response } = await processKinesisEvent(event, consumerFor(settings), {
    remainingTimeMs: () => context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
    deadlineMarginMs: settings.deadlineMarginMs,
  });
  return response;
}

export const handler = kitHandler(kinesisToSns, { config });

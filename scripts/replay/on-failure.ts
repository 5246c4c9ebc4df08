/**
 * `npm run replay -- <function> (--stack <stack name> | --queue-url <url>) [--dry-run] [--max N]
 *  [--invoke <deployed function name>]`
 *
 * Replays what a stream consumer's on-failure destination points at. Lambda's event source mapping, when it gives up
 * on a batch (maximumRetryAttempts / maximumRecordAgeInSeconds), sends the SQS queue a pointer, not the records:
 * `KinesisBatchInfo {shardId, startSequenceNumber, endSequenceNumber, streamArn, batchSize}` (shared/REFERENCE.md,
 * "Lambda on-failure destination"). For each message this tool:
 *   1. reads exactly that range back from the stream: GetShardIterator AT_SEQUENCE_NUMBER startSequenceNumber, then
 *      GetRecords until the record with endSequenceNumber (or past it). A range the stream no longer holds (past its
 *      retention: the first record read is later than the start, or the shard is gone) is REPORTED with its sequence
 *      numbers and the message is kept;
 *   2. runs the records, as the event Lambda would have delivered, through the function's handler in this process
 *      (its configuration from this shell's environment, as `npm run invoke`), or with --invoke through the deployed
 *      function (Lambda Invoke with the synthetic event);
 *   3. deletes the message only when every record of the range was read and every batch came back without a failure.
 * Replaying twice is harmless: the sinks write deterministic keys and ids (shard, sequence, subsequence).
 * --dry-run reads the queue and the ranges and reports, changing nothing (the messages become visible again).
 * Progress (messages, records read, delivered, remaining) goes to stderr; the final summary is one JSON line.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { pathToFileURL } from 'node:url';
import { kinesisClient } from '../../shared/aws/clients';
import {
  checkConsumer,
  events,
  failureQueueUrl,
  invokeTarget,
  lambdaRecord,
  localTarget,
  parseArgs,
  progress,
  quietLocalRun,
  sqsClient,
  type Target,
  UsageError,
} from './common';

export interface KinesisBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  streamArn: string;
  batchSize?: number;
}

export class InvalidFailureMessage extends Error {
  override name = 'InvalidFailureMessage';
}

/** Lambda's largest Kinesis batch. */
const MAX_BATCH_RECORDS = 10_000;

const SEQUENCE = /^\d{1,128}$/;

/** The KinesisBatchInfo of an on-failure message body; a message of another shape is an error (named, not logged). */
export function parseFailureMessage(body: string | undefined): KinesisBatchInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    throw new InvalidFailureMessage('the message is not JSON');
  }
  const info = (parsed as { KinesisBatchInfo?: Partial<KinesisBatchInfo> } | null)?.KinesisBatchInfo;
  if (!info)
    throw new InvalidFailureMessage('the message has no KinesisBatchInfo (not a Kinesis on-failure record)');
  const { shardId, startSequenceNumber, endSequenceNumber, streamArn } = info;
  if (typeof shardId !== 'string' || typeof streamArn !== 'string' || !streamArn.includes(':stream/')) {
    throw new InvalidFailureMessage('KinesisBatchInfo lacks shardId or a stream ARN');
  }
  if (!SEQUENCE.test(String(startSequenceNumber)) || !SEQUENCE.test(String(endSequenceNumber))) {
    throw new InvalidFailureMessage('KinesisBatchInfo has no valid start/end sequence numbers');
  }
  if (BigInt(startSequenceNumber!) > BigInt(endSequenceNumber!)) {
    throw new InvalidFailureMessage('KinesisBatchInfo starts after its end');
  }
  return {
    shardId,
    streamArn,
    startSequenceNumber: startSequenceNumber!,
    endSequenceNumber: endSequenceNumber!,
    batchSize: info.batchSize,
  };
}

export interface RangeRead {
  records: KinesisRecord[];
  /** Set when the stream no longer holds the start of the range (or any of it): the sequence numbers lost. */
  trimmed?: { from: string; to: string; firstAvailable?: string; reason: string };
  /** The end sequence number was never reached (the shard ended or the stream holds nothing more). */
  incomplete?: string;
}

const TRIMMED_ERRORS = new Set([
  'InvalidArgumentException',
  'ResourceNotFoundException',
  'ExpiredIteratorException',
]);

/** Reads [start, end] of one shard, as the event source mapping read it. */
export async function readRange(
  client: KinesisClient,
  info: KinesisBatchInfo,
  onRead: (count: number) => void = () => undefined,
): Promise<RangeRead> {
  const start = BigInt(info.startSequenceNumber);
  const end = BigInt(info.endSequenceNumber);
  const streamName = info.streamArn.split(':stream/')[1]!;
  let iterator: string | undefined;
  try {
    const out = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: info.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: info.startSequenceNumber,
      }),
    );
    iterator = out.ShardIterator;
  } catch (error) {
    const name = (error as Error).name;
    if (!TRIMMED_ERRORS.has(name)) throw error;
    return {
      records: [],
      trimmed: {
        from: info.startSequenceNumber,
        to: info.endSequenceNumber,
        reason: `${name}: the stream no longer holds this shard position (past its retention, or the shard is gone)`,
      },
    };
  }
  const records: KinesisRecord[] = [];
  let first = true;
  let emptyReads = 0;
  while (iterator) {
    const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    const page = out.Records ?? [];
    for (const record of page) {
      const sequence = BigInt(record.SequenceNumber!);
      if (first) {
        first = false;
        if (sequence > start) {
          // AT_SEQUENCE_NUMBER of a trimmed position answers from the trim horizon on: what lies before is gone.
          // What the stream still holds of the range is kept (and delivered); the gap is reported.
          for (const kept of page) if (BigInt(kept.SequenceNumber!) <= end) records.push(kept);
          onRead(records.length);
          return {
            records,
            trimmed: {
              from: info.startSequenceNumber,
              to: sequence > end ? info.endSequenceNumber : String(sequence - 1n),
              firstAvailable: record.SequenceNumber!,
              reason: 'the stream no longer holds the start of the range (past its retention)',
            },
          };
        }
      }
      if (sequence > end) return finish(records, onRead);
      records.push(record);
      if (sequence === end) return finish(records, onRead);
    }
    onRead(records.length);
    if (page.length === 0) {
      // Caught up with the shard without reaching the end: a few empty reads are normal right after a write.
      emptyReads += 1;
      if ((out.MillisBehindLatest ?? 0) === 0 && emptyReads >= 3) break;
    } else emptyReads = 0;
    iterator = out.NextShardIterator;
  }
  if (first) {
    return {
      records,
      trimmed: {
        from: info.startSequenceNumber,
        to: info.endSequenceNumber,
        reason: 'the stream returned no record at or after the start (past its retention)',
      },
    };
  }
  return {
    records,
    incomplete: `the shard holds nothing up to ${info.endSequenceNumber} (last read ${records.at(-1)?.SequenceNumber})`,
  };
}

function finish(records: KinesisRecord[], onRead: (count: number) => void): RangeRead {
  onRead(records.length);
  return { records };
}

export interface MessageOutcome {
  messageId: string;
  shardId?: string;
  startSequenceNumber?: string;
  endSequenceNumber?: string;
  recordsRead: number;
  recordsDelivered: number;
  deleted: boolean;
  trimmed?: RangeRead['trimmed'];
  problem?: string;
}

export interface ReplaySummary {
  function: string;
  dryRun: boolean;
  messages: number;
  replayed: number;
  kept: number;
  recordsRead: number;
  recordsDelivered: number;
  trimmedRanges: Array<{ shardId: string; from: string; to: string; firstAvailable?: string }>;
  outcomes: MessageOutcome[];
}

export interface ReplayOptions {
  functionName: string;
  queueUrl: string;
  target: Target;
  dryRun?: boolean;
  max?: number;
  /** How long a received message stays invisible to others while it is replayed (seconds). */
  visibilitySeconds?: number;
  log?: (line: string, force?: boolean) => void;
}

export async function replayOnFailure(options: ReplayOptions): Promise<ReplaySummary> {
  const sqs = sqsClient();
  const kinesis = kinesisClient();
  const log = options.log ?? (() => undefined);
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const summary: ReplaySummary = {
    function: options.functionName,
    dryRun: options.dryRun ?? false,
    messages: 0,
    replayed: 0,
    kept: 0,
    recordsRead: 0,
    recordsDelivered: 0,
    trimmedRanges: [],
    outcomes: [],
  };
  const keptHandles: string[] = [];
  const seen = new Set<string>();
  // Visible messages (those received in this round and not yet replayed are added by the caller).
  const remaining = async () => {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: options.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  };
  try {
    while (summary.messages < max) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: Math.min(10, max - summary.messages),
          VisibilityTimeout: options.visibilitySeconds ?? 900,
          WaitTimeSeconds: 0,
        }),
      );
      const messages = (out.Messages ?? []).filter((m) => !seen.has(m.MessageId!));
      if (messages.length === 0) break;
      for (const [index, message] of messages.entries()) {
        seen.add(message.MessageId!);
        summary.messages += 1;
        const outcome = await replayMessage(message, options, kinesis, summary, log);
        summary.outcomes.push(outcome);
        if (outcome.deleted) summary.replayed += 1;
        else {
          summary.kept += 1;
          keptHandles.push(message.ReceiptHandle!);
        }
        log(
          `messages ${summary.messages} (replayed ${summary.replayed}, kept ${summary.kept}) | records read ` +
            `${summary.recordsRead}, delivered ${summary.recordsDelivered} | queue remaining ~${(await remaining()) + messages.length - index - 1}`,
          true,
        );
      }
    }
  } finally {
    // Kept messages (and every message of a dry run) become visible again at once, for the next run.
    for (const handle of keptHandles) {
      await sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: options.queueUrl,
            ReceiptHandle: handle,
            VisibilityTimeout: 0,
          }),
        )
        .catch(() => undefined);
    }
  }
  return summary;
}

async function replayMessage(
  message: Message,
  options: ReplayOptions,
  kinesis: KinesisClient,
  summary: ReplaySummary,
  log: (line: string, force?: boolean) => void,
): Promise<MessageOutcome> {
  const outcome: MessageOutcome = {
    messageId: message.MessageId!,
    recordsRead: 0,
    recordsDelivered: 0,
    deleted: false,
  };
  let info: KinesisBatchInfo;
  try {
    info = parseFailureMessage(message.Body);
  } catch (error) {
    if (!(error instanceof InvalidFailureMessage)) throw error;
    outcome.problem = error.message;
    return outcome;
  }
  Object.assign(outcome, {
    shardId: info.shardId,
    startSequenceNumber: info.startSequenceNumber,
    endSequenceNumber: info.endSequenceNumber,
  });
  const range = await readRange(kinesis, info, (count) =>
    log(`${info.shardId} ${info.startSequenceNumber}..${info.endSequenceNumber}: ${count} records read`),
  );
  outcome.recordsRead = range.records.length;
  summary.recordsRead += range.records.length;
  if (range.trimmed) {
    outcome.trimmed = range.trimmed;
    summary.trimmedRanges.push({ shardId: info.shardId, ...range.trimmed });
    log(
      `TRIMMED ${info.shardId}: sequence numbers ${range.trimmed.from}..${range.trimmed.to} are no longer in the ` +
        `stream (${range.trimmed.reason}); the message is kept`,
      true,
    );
  }
  if (range.incomplete) outcome.problem = range.incomplete;
  if (options.dryRun) {
    outcome.problem ??= 'dry run';
    return outcome;
  }
  const records = range.records.map((record) =>
    lambdaRecord({
      streamArn: info.streamArn,
      shardId: info.shardId,
      sequenceNumber: record.SequenceNumber!,
      partitionKey: record.PartitionKey!,
      data: record.Data!,
      arrivalSeconds: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    }),
  );
  // The whole range in one event, as Lambda delivered it (split only past the synchronous payload limit, in order): the
  // same range always makes the same batches, so kinesis-to-s3's object keys (first and last sequence number of a
  // batch) come out the same on every replay.
  for (const event of events(records, MAX_BATCH_RECORDS)) {
    const delivery = await options.target(event);
    if (!delivery.ok) {
      outcome.problem = delivery.detail;
      log(`${info.shardId}: delivery failed (${delivery.detail}); the message is kept`, true);
      return outcome;
    }
    outcome.recordsDelivered += event.Records.length;
    summary.recordsDelivered += event.Records.length;
    log(`${info.shardId}: ${outcome.recordsDelivered} of ${records.length} records delivered`);
  }
  if (range.trimmed || range.incomplete) return outcome;
  await sqsClient().send(
    new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle! }),
  );
  outcome.deleted = true;
  return outcome;
}

const USAGE =
  'npm run replay -- <function> (--stack <stack name> | --queue-url <url>) [--dry-run] [--max N] [--invoke <deployed function name>]';

async function main(argv: string[]): Promise<number> {
  const { positional, values } = parseArgs(argv, {
    'queue-url': 'string',
    stack: 'string',
    'dry-run': 'flag',
    max: 'number',
    invoke: 'string',
  });
  const name = checkConsumer(positional[0]);
  quietLocalRun(name);
  const queueUrl =
    (values['queue-url'] as string | undefined) ||
    (values.stack ? await failureQueueUrl(name, values.stack as string) : process.env.FAILURE_QUEUE_URL);
  if (!queueUrl) {
    throw new UsageError('--stack or --queue-url (or FAILURE_QUEUE_URL) is required: the on-failure queue');
  }
  // A dry run delivers nothing: it needs neither the function's configuration nor Lambda.
  const target: Target =
    values['dry-run'] === true
      ? async () => ({ ok: false, detail: 'dry run' })
      : values.invoke
        ? invokeTarget(values.invoke as string)
        : await localTarget(name);
  const log = progress();
  log(
    `replaying ${name} from ${queueUrl} ` +
      (values['dry-run']
        ? '(dry run: nothing is delivered or deleted)'
        : `through ${values.invoke ? `the deployed ${values.invoke}` : 'the local handler'}`),
    true,
  );
  const summary = await replayOnFailure({
    functionName: name,
    queueUrl,
    target,
    dryRun: values['dry-run'] === true,
    max: values.max as number | undefined,
    log,
  });
  const { outcomes, ...totals } = summary;
  for (const o of outcomes.filter((x) => !x.deleted)) {
    log(
      `kept ${o.messageId}: ${o.shardId ?? '?'} ${o.startSequenceNumber ?? ''}..${o.endSequenceNumber ?? ''} - ${o.trimmed ? `trimmed ${o.trimmed.from}..${o.trimmed.to}` : o.problem}`,
      true,
    );
  }
  process.stdout.write(`${JSON.stringify({ summary: totals })}\n`);
  return summary.kept > 0 && !summary.dryRun ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(
        `${error instanceof UsageError ? `${error.message}\nusage: ${USAGE}` : `${error.name}: ${error.message}`}\n`,
      );
      process.exit(2);
    },
  );
}

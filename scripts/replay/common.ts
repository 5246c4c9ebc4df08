/**
 * What both replay tools share: where a batch goes (the function's handler in this process, or the deployed function
 * through Lambda Invoke), the synthetic Kinesis event Lambda would have delivered, argument parsing and progress.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { endpointFor, lambdaClient } from '../../shared/aws/clients';
import { functionNames, repoRoot } from '../lib/functions';

/** The stream consumers (a Kinesis event source mapping with an on-failure queue and a dead-letter location). */
export const CONSUMERS = ['kinesis-to-dynamodb', 'kinesis-to-opensearch', 'kinesis-to-s3', 'kinesis-to-sns'];

/** The variables (as the function reads them) naming its dead-letter bucket and prefix, and the prefix default. */
export const DEAD_LETTER_SETTINGS: Record<string, { bucket: string; prefix: string; defaultPrefix: string }> =
  {
    'kinesis-to-s3': { bucket: 'BUCKET_NAME', prefix: 'DEAD_LETTER_PREFIX', defaultPrefix: 'dead-letter' },
    'kinesis-to-dynamodb': {
      bucket: 'DEAD_LETTER_BUCKET',
      prefix: 'DEAD_LETTER_PREFIX',
      defaultPrefix: 'dead-letter/kinesis-to-dynamodb',
    },
    'kinesis-to-sns': {
      bucket: 'DEAD_LETTER_BUCKET',
      prefix: 'DEAD_LETTER_PREFIX',
      defaultPrefix: 'dead-letter/kinesis-to-sns',
    },
    'kinesis-to-opensearch': {
      bucket: 'OPENSEARCH_DEAD_LETTER_BUCKET',
      prefix: 'OPENSEARCH_DEAD_LETTER_PREFIX',
      defaultPrefix: 'dead-letter/kinesis-to-opensearch',
    },
  };

/** The logical id of each consumer's on-failure queue in serverless.yml. */
export const FAILURE_QUEUES: Record<string, string> = {
  'kinesis-to-s3': 'KinesisToS3FailureQueue',
  'kinesis-to-dynamodb': 'KinesisToDynamoDbFailureQueue',
  'kinesis-to-sns': 'KinesisToSnsFailureQueue',
  'kinesis-to-opensearch': 'KinesisToOpenSearchFailureQueue',
};

/**
 * The URL of a deployed stack's on-failure queue for a function. CloudFormation names a queue without a QueueName
 * `<stack>-<logical id>-<random suffix>`, so the stack and the logical id are its name's prefix.
 */
export async function failureQueueUrl(name: string, stack: string): Promise<string> {
  const prefix = `${stack}-${FAILURE_QUEUES[name]}-`;
  const out = await sqsClient().send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
  const urls = out.QueueUrls ?? [];
  if (urls.length !== 1) {
    throw new UsageError(
      `${urls.length === 0 ? 'no queue' : `${urls.length} queues`} named ${prefix}...: pass --queue-url (the stack ` +
        `output ${FAILURE_QUEUES[name]}Url)`,
    );
  }
  return urls[0]!;
}

export function checkConsumer(name: string | undefined): string {
  if (!name || !CONSUMERS.includes(name)) {
    const known = functionNames().filter((f) => CONSUMERS.includes(f));
    throw new UsageError(
      `the first argument must be a stream consumer: ${known.join(', ')} (got ${name ?? 'nothing'})`,
    );
  }
  return name;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** One delivery attempt of a synthetic event: ok only when the handler answered without any batch item failure. */
export interface Delivery {
  ok: boolean;
  /** The lowest failed sequence number the function reported, or the error it threw. */
  detail?: string;
}

export type Target = (event: KinesisStreamEvent) => Promise<Delivery>;

function judge(response: KinesisStreamBatchResponse | undefined | null): Delivery {
  const failures = response?.batchItemFailures ?? [];
  if (failures.length === 0) return { ok: true };
  return {
    ok: false,
    detail: `the function reported a failure from sequence number ${failures[0]!.itemIdentifier}`,
  };
}

/**
 * For a handler run in this process by a CLI: its service name is the function's (as deployed), EMF metrics stay
 * off (a replay is not traffic, and they would interleave with the summary on stdout) and only warnings and errors
 * are logged (poison records, failures), unless the shell sets these variables.
 */
export function quietLocalRun(name: string): void {
  process.env.POWERTOOLS_SERVICE_NAME ??= name;
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
}

/** The function's handler, run in this process (its configuration from this process's environment). */
export async function localTarget(
  name: string,
  timeoutMs = 120_000,
): Promise<Target & { reset: () => void }> {
  const dir = pathToFileURL(join(repoRoot, 'functions', name)).href;
  const { handler } = (await import(`${dir}/handler.ts`)) as {
    handler: (event: unknown, context: unknown) => Promise<KinesisStreamBatchResponse>;
  };
  const { config } = (await import(`${dir}/config.ts`)) as { config: { reset?: () => void } };
  const target = async (event: KinesisStreamEvent): Promise<Delivery> => {
    const deadline = Date.now() + timeoutMs;
    try {
      return judge(
        await handler(event, {
          functionName: name,
          functionVersion: '$LATEST',
          invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
          memoryLimitInMB: '512',
          awsRequestId: `replay-${Date.now()}`,
          getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        }),
      );
    } catch (error) {
      return { ok: false, detail: `${(error as Error).name}: ${(error as Error).message}` };
    }
  };
  return Object.assign(target, { reset: () => config.reset?.() });
}

/** The deployed function, invoked synchronously with the synthetic event (Lambda Invoke, RequestResponse). */
export function invokeTarget(functionName: string): Target {
  return async (event) => {
    const out = await lambdaClient().send(
      new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }),
    );
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    if (out.FunctionError) return { ok: false, detail: `${out.FunctionError}: ${text.slice(0, 300)}` };
    try {
      return judge(text ? (JSON.parse(text) as KinesisStreamBatchResponse) : null);
    } catch {
      return { ok: false, detail: 'the function answered something other than a batch response' };
    }
  };
}

/** A record as Lambda's event source mapping delivers it. */
export function lambdaRecord(input: {
  streamArn: string;
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: Uint8Array;
  arrivalSeconds?: number;
}): KinesisStreamRecord {
  const region = input.streamArn.split(':')[3] || 'us-east-1';
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: input.partitionKey,
      sequenceNumber: input.sequenceNumber,
      data: Buffer.from(input.data).toString('base64'),
      approximateArrivalTimestamp: input.arrivalSeconds ?? Date.now() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${input.shardId}:${input.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/kinesis-lambda-kit-replay',
    awsRegion: region,
    eventSourceARN: input.streamArn,
  };
}

/** Splits records into events of at most `maxRecords` records and ~5 MB (Lambda's synchronous payload is 6 MB). */
export function* events(records: KinesisStreamRecord[], maxRecords: number): Generator<KinesisStreamEvent> {
  const maxBytes = 5 * 1024 * 1024;
  let batch: KinesisStreamRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = record.kinesis.data.length + 600;
    if (batch.length > 0 && (batch.length >= maxRecords || bytes + size > maxBytes)) {
      yield { Records: batch };
      batch = [];
      bytes = 0;
    }
    batch.push(record);
    bytes += size;
  }
  if (batch.length > 0) yield { Records: batch };
}

let sqs: SQSClient | undefined;
/** SQS for the tools (endpoint from AWS_ENDPOINT_URL_SQS, as every client of the kit). */
export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({
    endpoint: endpointFor('SQS'),
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      throwOnRequestTimeout: true,
    }),
  });
  return sqs;
}

export function resetSqsClient(): void {
  sqs = undefined;
}

/** `--name value` / `--flag` arguments after the positional ones. */
export function parseArgs(
  argv: string[],
  spec: Record<string, 'flag' | 'string' | 'number'>,
): { positional: string[]; values: Record<string, string | number | boolean | undefined> } {
  const positional: string[] = [];
  const values: Record<string, string | number | boolean | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [key, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const kind = spec[key];
    if (!kind)
      throw new UsageError(
        `unknown option --${key} (known: ${Object.keys(spec)
          .map((k) => `--${k}`)
          .join(' ')})`,
      );
    if (kind === 'flag') {
      values[key] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${key} needs a value`);
    if (kind === 'number') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1)
        throw new UsageError(`--${key} must be a whole number >= 1, not "${value}"`);
      values[key] = n;
    } else values[key] = value;
  }
  return { positional, values };
}

/** Progress lines on stderr (at most one every `everyMs`, and always the last), the summary on stdout. */
export function progress(everyMs = 2_000): (line: string, force?: boolean) => void {
  let last = 0;
  return (line, force = false) => {
    const now = Date.now();
    if (!force && now - last < everyMs) return;
    last = now;
    process.stderr.write(`${line}\n`);
  };
}

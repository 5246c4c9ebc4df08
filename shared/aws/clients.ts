/**
 * AWS SDK v3 client factories shared by every function.
 *
 * Endpoints come from the standard `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL` variables (the SDK's own
 * convention), so the same handler code runs against AWS or the local emulators. One client per service per
 * process: created lazily on first use (not at import, so a cold start pays only for what it uses) and reused
 * across invocations.
 *
 * @example
 * ```ts
 * import { s3Client } from '../../shared/aws/clients';
 * await s3Client().send(new PutObjectCommand({ Bucket, Key, Body }));
 * ```
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Service ids as they appear in `AWS_ENDPOINT_URL_<ID>`. */
export type ServiceId =
  'KINESIS' | 'S3' | 'DYNAMODB' | 'SNS' | 'FIREHOSE' | 'CLOUDWATCH' | 'SQS' | 'LAMBDA' | 'SCHEDULER';

/** The endpoint override for a service, or undefined to use AWS's regional endpoint. */
export function endpointFor(service: ServiceId, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
}

/** Longest wait for a TCP/TLS connection to open (ms). */
export const CONNECTION_TIMEOUT_MS = 3_000;
/**
 * Longest one attempt of a call may take, from request to response (ms). Enforced: @smithy/node-http-handler 4.x
 * only logs a warning when `requestTimeout` passes unless `throwOnRequestTimeout` is set. A call can pass its own
 * (`client.send(command, { requestTimeout })`, e.g. a large PutObject). The invocation's overall budget is the
 * abort signal of shared/aws/deadline.ts; this bounds each try within it, so a hung socket is retried in time.
 */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Every client gets this handler: without one the SDK sets no request timeout at all, and a request the service
 * never answers hangs until Lambda's deadline. HTTP/1.1 with keep-alive; kinesalite speaks only HTTP/1.1, and it is
 * right against AWS for every call we make (only SubscribeToShard needs HTTP/2).
 */
function httpHandler(): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    throwOnRequestTimeout: true,
  });
}

const common = () => ({
  // Retries inside the SDK are bounded so a throttled sink cannot eat the whole invocation: the runner's
  // partial batch response hands the rest back to Lambda.
  maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS) || 3,
  requestHandler: httpHandler(),
});

let kinesis: KinesisClient | undefined;
export function kinesisClient(): KinesisClient {
  kinesis ??= new KinesisClient({
    ...common(),
    endpoint: endpointFor('KINESIS'),
  });
  return kinesis;
}

let s3: S3Client | undefined;
export function s3Client(): S3Client {
  const endpoint = endpointFor('S3');
  s3 ??= new S3Client({
    ...common(),
    endpoint,
    // Emulators (s3rver) serve buckets by path, and store aws-chunked bodies verbatim unless checksums are
    // only sent when an API requires them.
    forcePathStyle: endpoint !== undefined || process.env.S3_FORCE_PATH_STYLE === 'true',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return s3;
}

let dynamodb: DynamoDBClient | undefined;
export function dynamoDbClient(): DynamoDBClient {
  dynamodb ??= new DynamoDBClient({ ...common(), endpoint: endpointFor('DYNAMODB') });
  return dynamodb;
}

let sns: SNSClient | undefined;
export function snsClient(): SNSClient {
  sns ??= new SNSClient({ ...common(), endpoint: endpointFor('SNS') });
  return sns;
}

let firehose: FirehoseClient | undefined;
export function firehoseClient(): FirehoseClient {
  firehose ??= new FirehoseClient({ ...common(), endpoint: endpointFor('FIREHOSE') });
  return firehose;
}

let cloudwatch: CloudWatchClient | undefined;
export function cloudWatchClient(): CloudWatchClient {
  cloudwatch ??= new CloudWatchClient({ ...common(), endpoint: endpointFor('CLOUDWATCH') });
  return cloudwatch;
}

let lambda: LambdaClient | undefined;
export function lambdaClient(): LambdaClient {
  lambda ??= new LambdaClient({ ...common(), endpoint: endpointFor('LAMBDA') });
  return lambda;
}

let scheduler: SchedulerClient | undefined;
/** EventBridge Scheduler (the shard autoscaler's one-time re-arm schedules). */
export function schedulerClient(): SchedulerClient {
  scheduler ??= new SchedulerClient({ ...common(), endpoint: endpointFor('SCHEDULER') });
  return scheduler;
}

/** Drops the cached clients (tests that change endpoints between cases call this). */
export function resetClients(): void {
  kinesis = s3 = dynamodb = sns = firehose = cloudwatch = lambda = scheduler = undefined;
}

/**
 * `npm run replay:dead-letters -- <function> [--bucket <name>] [--prefix <prefix>] [--dry-run] [--max N]`
 *
 * Re-runs a stream consumer's dead letters (poison records its runner wrote to S3 with their reason, coordinates and
 * original bytes: shared/sinks/s3-dead-letter.ts) through the function's handler in this process, after a fix of
 * the transform, the configuration or the destination. Per dead-letter object (listed once, at the start):
 *   - its records become the event Lambda delivered: one record per (shard, sequence number) with its original
 *     bytes; sub-records of a KPL aggregate are aggregated again in subsequence order, so each keeps its
 *     subSequenceNumber (and the sinks' ids derived from it). Sub-records whose subsequence numbers do not run
 *     0, 1, 2, ... (a sub-record before them was delivered) cannot get the same ids again: they are left, reported;
 *   - the handler runs with the dead-letter prefix set to `<prefix>/replayed-<time>/`: what passes now is delivered
 *     (deterministic keys and ids: a repeat overwrites), what still fails is dead-lettered there with its NEW reason;
 *   - the object is deleted only when the handler answered without a failure (nothing transient left); when some of
 *     its records were not replayable, it is rewritten with just those lines.
 * Bucket and prefix default to the function's own variables (BUCKET_NAME / DEAD_LETTER_BUCKET /
 * OPENSEARCH_DEAD_LETTER_BUCKET and the prefix variable), the configuration the handler runs with.
 * Progress (objects, records read, delivered, still failing, remaining) on stderr; a JSON summary on stdout.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { KinesisStreamRecord } from 'aws-lambda';
import { pathToFileURL } from 'node:url';
import { s3Client } from '../../shared/aws/clients';
import { aggregate } from '../../shared/kpl';
import { MAX_MAX_BYTES } from '../../shared/kpl/encode';
import {
  checkConsumer,
  DEAD_LETTER_SETTINGS,
  events,
  lambdaRecord,
  localTarget,
  parseArgs,
  progress,
  quietLocalRun,
  UsageError,
} from './common';

/** One line of a dead-letter object. */
export interface DeadLetterLine {
  errorName: string;
  reason: string;
  stream: string;
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number;
  partitionKey: string;
  approximateArrivalTimestamp: number;
  dataBase64?: string;
  rawData?: string;
}

export interface ObjectOutcome {
  key: string;
  records: number;
  delivered: number;
  stillFailing: number;
  notReplayable: number;
  deleted: boolean;
  problem?: string;
}

export interface DeadLetterSummary {
  function: string;
  dryRun: boolean;
  bucket: string;
  prefix: string;
  replayPrefix: string;
  objects: number;
  objectsDeleted: number;
  recordsRead: number;
  recordsDelivered: number;
  recordsStillFailing: number;
  recordsNotReplayable: number;
  outcomes: ObjectOutcome[];
}

export interface DeadLetterOptions {
  functionName: string;
  bucket: string;
  prefix: string;
  dryRun?: boolean;
  max?: number;
  /** Where records that still fail go (default `<prefix>/replayed-<UTC time>`). */
  replayPrefix?: string;
  log?: (line: string, force?: boolean) => void;
  client?: S3Client;
}

async function listAll(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of out.Contents ?? []) keys.push(object.Key!);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function readObject(client: S3Client, bucket: string, key: string): Promise<DeadLetterLine[]> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = await out.Body!.transformToString('utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as DeadLetterLine);
}

/**
 * The Lambda records that reproduce the lines' coordinates, and the lines that cannot be reproduced exactly
 * (sub-records whose subsequence numbers do not start at 0 and run without a gap).
 */
export function recordsFor(
  lines: DeadLetterLine[],
  region = process.env.AWS_REGION ?? 'us-east-1',
): { records: KinesisStreamRecord[]; notReplayable: DeadLetterLine[] } {
  const groups = new Map<string, DeadLetterLine[]>();
  for (const line of lines) {
    const id = `${line.shardId}\u0000${line.sequenceNumber}`;
    groups.set(id, [...(groups.get(id) ?? []), line]);
  }
  const records: KinesisStreamRecord[] = [];
  const notReplayable: DeadLetterLine[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => a.subSequenceNumber - b.subSequenceNumber);
    const first = group[0]!;
    const streamArn = `arn:aws:kinesis:${region}:000000000000:stream/${first.stream}`;
    const common = {
      streamArn,
      shardId: first.shardId,
      sequenceNumber: first.sequenceNumber,
      arrivalSeconds: first.approximateArrivalTimestamp / 1000,
    };
    if (group.length === 1 && first.subSequenceNumber === 0) {
      const record = lambdaRecord({ ...common, partitionKey: first.partitionKey, data: new Uint8Array() });
      // Bytes as received: base64 of the original data, or the event's string when it was not even base64.
      record.kinesis.data = first.dataBase64 ?? first.rawData ?? '';
      records.push(record);
      continue;
    }
    const contiguous = group.every(
      (line, i) => line.subSequenceNumber === i && line.dataBase64 !== undefined,
    );
    const aggregated = contiguous
      ? aggregate(
          group.map((line) => ({
            data: Buffer.from(line.dataBase64!, 'base64'),
            partitionKey: line.partitionKey || first.partitionKey || 'replay',
          })),
          { maxBytes: MAX_MAX_BYTES },
        )
      : [];
    if (aggregated.length !== 1) {
      notReplayable.push(...group);
      continue;
    }
    records.push(
      lambdaRecord({ ...common, partitionKey: aggregated[0]!.partitionKey, data: aggregated[0]!.data }),
    );
  }
  // The order Lambda delivers them in: by shard, then sequence number.
  records.sort((a, b) => {
    const [shardA, shardB] = [a.eventID.split(':')[0]!, b.eventID.split(':')[0]!];
    if (shardA !== shardB) return shardA < shardB ? -1 : 1;
    const d = BigInt(a.kinesis.sequenceNumber) - BigInt(b.kinesis.sequenceNumber);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  });
  return { records, notReplayable };
}

export async function replayDeadLetters(options: DeadLetterOptions): Promise<DeadLetterSummary> {
  const client = options.client ?? s3Client();
  const log = options.log ?? (() => undefined);
  const settings = DEAD_LETTER_SETTINGS[options.functionName]!;
  const prefix = options.prefix.replace(/\/+$/, '');
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const replayPrefix = options.replayPrefix ?? `${prefix}/replayed-${stamp}`;
  const summary: DeadLetterSummary = {
    function: options.functionName,
    dryRun: options.dryRun ?? false,
    bucket: options.bucket,
    prefix,
    replayPrefix,
    objects: 0,
    objectsDeleted: 0,
    recordsRead: 0,
    recordsDelivered: 0,
    recordsStillFailing: 0,
    recordsNotReplayable: 0,
    outcomes: [],
  };
  const keys = (await listAll(client, options.bucket, `${prefix}/`)).slice(
    0,
    options.max ?? Number.POSITIVE_INFINITY,
  );
  const target = options.dryRun ? undefined : await localTarget(options.functionName);
  const saved = { bucket: process.env[settings.bucket], prefix: process.env[settings.prefix] };
  process.env[settings.bucket] = options.bucket;
  process.env[settings.prefix] = replayPrefix;
  target?.reset();
  try {
    for (const key of keys) {
      summary.objects += 1;
      const lines = await readObject(client, options.bucket, key);
      const { records, notReplayable } = recordsFor(lines);
      const outcome: ObjectOutcome = {
        key,
        records: lines.length,
        delivered: 0,
        stillFailing: 0,
        notReplayable: notReplayable.length,
        deleted: false,
      };
      summary.outcomes.push(outcome);
      summary.recordsRead += lines.length;
      summary.recordsNotReplayable += notReplayable.length;
      for (const line of notReplayable) {
        log(
          `not replayable exactly: ${line.shardId} ${line.sequenceNumber} sub ${line.subSequenceNumber} (an earlier ` +
            'sub-record of its aggregate was delivered; its id would differ) - left in place',
          true,
        );
      }
      if (target && records.length > 0) {
        const before = new Set(await listAll(client, options.bucket, `${replayPrefix}/`));
        let ok = true;
        for (const event of events(records, 10_000)) {
          const delivery = await target(event);
          if (!delivery.ok) {
            ok = false;
            outcome.problem = delivery.detail;
            break;
          }
        }
        for (const newKey of await listAll(client, options.bucket, `${replayPrefix}/`)) {
          if (!before.has(newKey))
            outcome.stillFailing += (await readObject(client, options.bucket, newKey)).length;
        }
        if (ok) {
          outcome.delivered = lines.length - notReplayable.length - outcome.stillFailing;
          if (notReplayable.length === 0) {
            await client.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key }));
            outcome.deleted = true;
            summary.objectsDeleted += 1;
          } else {
            // The object keeps exactly what was not replayed (its lines unchanged); the rest is handled.
            await client.send(
              new PutObjectCommand({
                Bucket: options.bucket,
                Key: key,
                Body: notReplayable.map((line) => `${JSON.stringify(line)}\n`).join(''),
                ContentType: 'application/x-ndjson',
              }),
            );
            outcome.problem = `${notReplayable.length} record(s) not replayable exactly: left in the object`;
          }
        }
        summary.recordsDelivered += outcome.delivered;
        summary.recordsStillFailing += outcome.stillFailing;
      } else if (options.dryRun) outcome.problem = 'dry run';
      log(
        `objects ${summary.objects} of ${keys.length} | records read ${summary.recordsRead}, delivered ` +
          `${summary.recordsDelivered}, still failing ${summary.recordsStillFailing} | remaining objects ` +
          `${keys.length - summary.objects}`,
        summary.objects === keys.length,
      );
    }
  } finally {
    for (const [name, value] of [
      [settings.bucket, saved.bucket],
      [settings.prefix, saved.prefix],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    target?.reset();
  }
  return summary;
}

const USAGE =
  'npm run replay:dead-letters -- <function> [--bucket <name>] [--prefix <prefix>] [--dry-run] [--max N]';

async function main(argv: string[]): Promise<number> {
  const { positional, values } = parseArgs(argv, {
    bucket: 'string',
    prefix: 'string',
    'dry-run': 'flag',
    max: 'number',
  });
  const name = checkConsumer(positional[0]);
  quietLocalRun(name);
  const settings = DEAD_LETTER_SETTINGS[name]!;
  const bucket = (values.bucket as string | undefined) ?? process.env[settings.bucket];
  if (!bucket) throw new UsageError(`--bucket (or ${settings.bucket}) is required: the dead-letter bucket`);
  const prefix =
    (values.prefix as string | undefined) ?? process.env[settings.prefix] ?? settings.defaultPrefix;
  const log = progress();
  log(
    `replaying ${name}'s dead letters from s3://${bucket}/${prefix}/${values['dry-run'] ? ' (dry run)' : ''}`,
    true,
  );
  const summary = await replayDeadLetters({
    functionName: name,
    bucket,
    prefix,
    dryRun: values['dry-run'] === true,
    max: values.max as number | undefined,
    log,
  });
  const { outcomes, ...totals } = summary;
  for (const o of outcomes.filter((x) => !x.deleted && x.problem && x.problem !== 'dry run')) {
    log(`kept ${o.key}: ${o.problem}`, true);
  }
  process.stdout.write(`${JSON.stringify({ summary: totals })}\n`);
  return outcomes.some((o) => !o.deleted && o.problem !== 'dry run') ? 1 : 0;
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

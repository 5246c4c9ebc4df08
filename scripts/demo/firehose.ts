/**
 * `npm start` demo for the Firehose transformation blueprints: every functions/firehose-* folder is invoked
 * through its exported handler on its events/<name>.json (as Firehose would invoke it), then the CloudWatch Logs
 * processor is shown re-ingesting an event whose lines do not fit in the 6,000,000-byte response, against the
 * wire-level PutRecordBatch fake.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { resetClients } from '../../shared/aws/clients';
import { responseBytes } from '../../shared/firehose';
import { cloudWatchLogsPayload, logEvents } from '../../test/support/cloudwatch-logs';
import { fakeContext, firehoseEvent } from '../../test/support/firehose-events';
import { startFirehoseFake } from '../../test/support/firehose-fake';
import { functionNames, repoRoot } from '../lib/functions';
import { type Row, table } from '../lib/table';
import type { Demo } from './context';

type FirehoseHandler = (
  event: FirehoseTransformationEvent,
  context: unknown,
) => Promise<FirehoseTransformationResult>;

/** Settings a blueprint needs to show more than its defaults (the same values serverless.yml deploys). */
const DEMO_ENV: Record<string, Record<string, string>> = {
  'firehose-json-partitioner': {
    PARTITION_KEYS: 'customer=customer.id,country=customer.country',
    TIME_FIELD: 'createdAt',
  },
  'firehose-kinesis-source': { ADD_METADATA: 'true' },
};

/**
 * What each sample event holds on purpose to show a failure path (see each function's README), so the table can
 * tell those rows from real problems.
 */
const DELIBERATE: Record<string, { Dropped?: number; ProcessingFailed?: number; note: string }> = {
  'firehose-apache-log-to-csv': { ProcessingFailed: 1, note: 'time not in [ ]' },
  'firehose-apache-log-to-json': { ProcessingFailed: 1, note: 'time not in [ ]' },
  'firehose-cloudwatch-logs-processor': { Dropped: 1, note: 'CONTROL_MESSAGE' },
  'firehose-json-partitioner': { ProcessingFailed: 1, note: 'no customer.id' },
  'firehose-syslog-to-csv': { ProcessingFailed: 1, note: 'bad PRI <200>' },
  'firehose-syslog-to-json': { ProcessingFailed: 1, note: 'bad PRI <200>' },
};

/** The row's note: the sample's deliberate bad input when the counts are the expected ones, else a warning. */
function note(name: string, counts: { Dropped: number; ProcessingFailed: number }): string {
  const expected = DELIBERATE[name];
  const dropped = expected?.Dropped ?? 0;
  const failed = expected?.ProcessingFailed ?? 0;
  if (counts.Dropped === dropped && counts.ProcessingFailed === failed)
    return expected ? `* ${expected.note}` : '';
  return `UNEXPECTED (sample: ${dropped} Dropped, ${failed} failed)`;
}

async function withEnv<T>(values: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  try {
    return await run();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

const loadHandler = async (name: string): Promise<FirehoseHandler> =>
  (await import(pathToFileURL(join(repoRoot, 'functions', name, 'handler.ts')).href)).handler;

function summarise(event: FirehoseTransformationEvent, result: FirehoseTransformationResult) {
  const count = (status: string) => result.records.filter((r) => r.result === status).length;
  const bytes = (data: string | undefined) => Buffer.from(data ?? '', 'base64').byteLength;
  const partitions = new Set(
    result.records.flatMap((r) => (r.metadata ? [JSON.stringify(r.metadata.partitionKeys)] : [])),
  );
  return {
    'records in': event.records.length,
    Ok: count('Ok'),
    Dropped: count('Dropped'),
    ProcessingFailed: count('ProcessingFailed'),
    'bytes in': event.records.reduce((sum, r) => sum + bytes(r.data), 0),
    'bytes out (Ok)': result.records.reduce((sum, r) => sum + (r.result === 'Ok' ? bytes(r.data) : 0), 0),
    partitions: partitions.size,
  };
}

/** A table row within 100 columns: the name without its firehose- prefix, short headings, the note. */
function tableRow(name: string, s: ReturnType<typeof summarise>): Row {
  return {
    blueprint: name.replace(/^firehose-/, ''),
    in: s['records in'],
    Ok: s.Ok,
    Dropped: s.Dropped,
    Failed: s.ProcessingFailed,
    'bytes in': s['bytes in'],
    out: s['bytes out (Ok)'],
    keys: s.partitions || undefined,
    note: note(name, s),
  };
}

export const demo: Demo = async () => {
  const rows: Row[] = [];
  for (const name of functionNames().filter((n) => n.startsWith('firehose-'))) {
    const eventFile = join(repoRoot, 'events', `${name}.json`);
    if (!existsSync(eventFile)) {
      rows.push({ blueprint: name.replace(/^firehose-/, ''), note: `no events/${name}.json` });
      continue;
    }
    const event = JSON.parse(readFileSync(eventFile, 'utf8')) as FirehoseTransformationEvent;
    try {
      const result = await withEnv(DEMO_ENV[name] ?? {}, async () =>
        (await loadHandler(name))(event, fakeContext(300_000, name)),
      );
      rows.push(tableRow(name, summarise(event, result)));
    } catch (error) {
      rows.push({
        blueprint: name.replace(/^firehose-/, ''),
        note: `threw ${(error as Error).name}`,
      });
    }
  }
  console.log('\nFirehose blueprints on their sample events');
  console.log(table(rows));
  console.log('  Failed: ProcessingFailed; out: bytes of the Ok records; keys: distinct partition keys');
  console.log("  * deliberate: the sample event holds it to show that path (see the blueprint's README)");

  // Re-ingestion: ~5.4 MB of gzip CloudWatch Logs in, ~11 MB of lines out; what does not fit goes back in.
  const fake = await startFirehoseFake({ deliveryStreams: ['demo-cloudwatch-logs'] });
  const savedEndpoint = process.env.AWS_ENDPOINT_URL_FIREHOSE;
  process.env.AWS_ENDPOINT_URL_FIREHOSE = fake.endpoint;
  resetClients();
  try {
    const event = firehoseEvent(
      ['a', 'b', 'c', 'd'].map((p) => cloudWatchLogsPayload(logEvents(p, 120, 16_600))),
      { deliveryStreamArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/demo-cloudwatch-logs' },
    );
    const handler = await loadHandler('firehose-cloudwatch-logs-processor');
    const result = await handler(event, fakeContext(300_000, 'firehose-cloudwatch-logs-processor'));
    const s = summarise(event, result);
    console.log(
      `\nCloudWatch Logs processor, oversized batch: ${s['records in']} records in, ${s.Ok} Ok inline,\n` +
        `  ${s.Dropped} re-ingested as ${fake.records('demo-cloudwatch-logs').length} smaller CloudWatch Logs ` +
        `records in ${fake.calls.length} PutRecordBatch call(s),\n` +
        `  ${s.ProcessingFailed} ProcessingFailed; ` +
        `response ${responseBytes(result).toLocaleString('en-US')} bytes (limit 6,000,000)`,
    );
  } finally {
    if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_FIREHOSE;
    else process.env.AWS_ENDPOINT_URL_FIREHOSE = savedEndpoint;
    resetClients();
    await fake.close();
  }
};

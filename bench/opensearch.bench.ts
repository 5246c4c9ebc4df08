/**
 * kinesis-to-opensearch throughput against the wire-level OpenSearch fake (test/support/opensearch-fake.ts, in this
 * process: no OpenSearch server can run here), no faults: one Lambda event holding a 10,000 user-record batch in KPL
 * aggregates (51,200-byte aggregates, the KPL's default size) of JSON log lines of ~400 bytes. Same run, same fake,
 * same data, same SigV4-signing client:
 * - `ours (handler)`: the function's handler: de-aggregation, the records' own bytes as documents, `_bulk` requests
 *   packed up to OPENSEARCH_MAX_BULK_BYTES (default 5 MiB; also run at 1 MiB), 2 in flight. Its bulk requests are
 *   counted at the fake and must equal ceil(body bytes / cap), the lower bound;
 * - `naive (one request per record)`: what AWS's Lambda-to-Elasticsearch sample does: aws-kinesis-agg
 *   `deaggregateSync`, then one signed index request (`PUT /<index>/_doc/<id>`) per record, all of the event's
 *   requests fired together.
 * The fake's own work (parsing, storing) is in both figures. Every figure is per record (records/s); the contenders
 * take turns, ROUNDS times, and each figure is the median.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import agg from 'aws-kinesis-agg';
import { startOpenSearchFake } from '../test/support/opensearch-fake';
import type { BenchResult } from './harness';
import { plainEvent } from '../test/support/kinesis-events';

const RECORDS = 10_000;
const ROUNDS = 5;
const INDEX = 'logs-2025.11.24';

const logLine = (i: number) =>
  JSON.stringify({
    '@timestamp': new Date(Date.UTC(2025, 10, 24, 10, 0, 0) + i * 7).toISOString(),
    level: ['INFO', 'INFO', 'INFO', 'WARN', 'ERROR'][i % 5],
    service: `svc-${i % 12}`,
    host: `ip-10-0-${i % 4}-${(i * 7) % 250}.eu-west-1.compute.internal`,
    requestId: `req-${(1_000_000 + i).toString(16)}-${(i * 2_654_435_761) % 4_294_967_296}`,
    message: `request handled: GET /api/v2/orders/${i} status=200 bytes=${(i * 37) % 9000}`,
    latencyMs: (i * 13) % 900,
    user: { id: `u-${i % 997}`, plan: i % 3 === 0 ? 'pro' : 'free' },
    tags: ['api', `zone-${i % 3}`],
  });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function run(): Promise<BenchResult> {
  const fake = await startOpenSearchFake({ service: 'es', region: 'us-east-1' });
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'BENCH',
    AWS_SECRET_ACCESS_KEY: 'BENCH',
    OPENSEARCH_ENDPOINT: fake.endpoint,
    OPENSEARCH_DEAD_LETTER_BUCKET: 'bench-dead-letter',
    OPENSEARCH_TIME_FIELD: '@timestamp',
  });
  try {
    // Imported after the environment is set: the handler reads it at cold start.
    const { aggregate } = await import('../shared/kpl');
    const { handler } = await import('../functions/kinesis-to-opensearch/handler');
    const { config } = await import('../functions/kinesis-to-opensearch/config');
    const { createOpenSearchClient } = await import('../shared/sinks/opensearch');

    const lines = Array.from({ length: RECORDS }, (_, i) => logLine(i));
    const blobs = aggregate(
      lines.map((data, i) => ({ data, partitionKey: `req-${i % 500}` })),
      { maxBytes: 51_200 },
    );
    const event: KinesisStreamEvent = plainEvent(blobs, {
      streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
      shardId: 'shardId-000000000000',
    });
    const eventBytes = event.Records.reduce((sum, record) => sum + record.kinesis.data.length, 0);
    const context = {
      functionName: 'kinesis-to-opensearch',
      awsRequestId: 'bench',
      getRemainingTimeInMillis: () => 600_000,
    } as unknown as Context;

    // ---- ours, at the default cap and at 1 MiB ------------------------------------------------------------------
    const ours = async (cap: number) => {
      process.env.OPENSEARCH_MAX_BULK_BYTES = String(cap);
      config.reset();
      fake.reset();
      const started = performance.now();
      const response = (await handler(event, context)) as KinesisStreamBatchResponse;
      const seconds = (performance.now() - started) / 1000;
      if (response.batchItemFailures.length > 0)
        throw new Error('the handler reported failures on a clean run');
      const bulk = fake.requests.filter((request) => request.path === '/_bulk');
      if (bulk.some((request) => request.status !== 200)) throw new Error('a bulk request was refused');
      if (fake.documents.get(INDEX)?.size !== RECORDS) throw new Error('not every record was indexed');
      const bodyBytes = bulk.reduce((sum, request) => sum + request.bytes, 0);
      return { cap, seconds, requests: bulk.length, lowerBound: Math.ceil(bodyBytes / cap), bodyBytes };
    };
    type Run = Awaited<ReturnType<typeof ours>>;
    // The most requests any round made, and the median time.
    const summarise = (runs: Run[]): Run => ({
      ...runs.at(-1)!,
      requests: Math.max(...runs.map((run) => run.requests)),
      seconds: median(runs.map((run) => run.seconds)),
    });
    const defaultRuns: Run[] = [];
    const oneMiBRuns: Run[] = [];

    // ---- naive: deaggregateSync + one index request per record, all in flight together -------------------------
    const client = createOpenSearchClient({ endpoint: fake.endpoint, region: 'us-east-1', service: 'es' });
    const naive = async () => {
      const requests: Array<Promise<unknown>> = [];
      for (const record of event.Records) {
        let users: Array<{ data: string; sequenceNumber?: string; subSequenceNumber?: number }> = [];
        agg.deaggregateSync(record.kinesis, true, (error, result) => {
          if (error) throw error;
          users = result!;
        });
        users.forEach((user, sub) => {
          const id = `shardId-000000000000-${record.kinesis.sequenceNumber}-${sub}`;
          requests.push(
            client.transport.request({
              method: 'PUT',
              path: `/${INDEX}/_doc/${encodeURIComponent(id)}`,
              body: Buffer.from(user.data, 'base64').toString('utf8'),
            }),
          );
        });
      }
      await Promise.all(requests);
      return requests.length;
    };
    const naiveSeconds: number[] = [];
    // The contenders take turns, so a slow moment of the machine hits them alike.
    for (let round = 0; round < ROUNDS; round++) {
      defaultRuns.push(await ours(5 * 1024 * 1024));
      oneMiBRuns.push(await ours(1024 * 1024));
      fake.reset();
      const started = performance.now();
      const count = await naive();
      naiveSeconds.push((performance.now() - started) / 1000);
      if (count !== RECORDS || fake.documents.get(INDEX)?.size !== RECORDS) {
        throw new Error('the naive reference did not index every record');
      }
    }
    await client.close();
    const atDefault = summarise(defaultRuns);
    const atOneMiB = summarise(oneMiBRuns);

    // ---- report -------------------------------------------------------------------------------------------------
    const naiveRate = RECORDS / median(naiveSeconds);
    const row = (label: string, result: Run) => ({
      contender: label,
      records: RECORDS,
      requests: `${result.requests} _bulk (${(result.bodyBytes / 1e6).toFixed(2)} MB body)`,
      'lower bound': result.lowerBound,
      'median s': result.seconds.toFixed(3),
      'records/s': Math.round(RECORDS / result.seconds),
      'x naive': (RECORDS / result.seconds / naiveRate).toFixed(1),
    });
    console.log(
      `\nkinesis-to-opensearch against the OpenSearch FAKE (not OpenSearch): one event of ${RECORDS} user records in ` +
        `${event.Records.length} KPL aggregates, ${(eventBytes / 1e6).toFixed(2)} MB of base64 (Node ${process.version})`,
    );
    console.table([
      row('ours (handler, 5 MiB cap)', atDefault),
      row('ours (handler, 1 MiB cap)', atOneMiB),
      {
        contender: 'naive (one request per record)',
        records: RECORDS,
        requests: `${RECORDS} index`,
        'lower bound': '',
        'median s': median(naiveSeconds).toFixed(3),
        'records/s': Math.round(naiveRate),
        'x naive': '1.0',
      },
    ]);
    return {
      targets: {
        'bulk requests = ceil(body bytes / 5 MiB)': atDefault.requests === atDefault.lowerBound,
        'bulk requests = ceil(body bytes / 1 MiB)': atOneMiB.requests === atOneMiB.lowerBound,
        'handler >= 5x the naive records/s': RECORDS / atDefault.seconds >= 5 * naiveRate,
      },
    };
  } finally {
    await fake.close();
  }
}

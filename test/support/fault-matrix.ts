/**
 * The fault matrix harness: drives a stream consumer the way Lambda's event source mapping does under injected
 * faults, and counts what reached the destination. For each (sink, fault) cell:
 *
 * 1. a fresh batch of KPL aggregates holding good JSON records (each with a unique `id`) and a few poison
 *    records in the middle is built;
 * 2. the fault is armed on a fault-injecting proxy in front of the destination or the dead-letter store for the
 *    first invocation (the real SDK's retry, timeout and error paths run, and the fault outlasts them), then
 *    lifted, as a throttled or failing service recovers;
 * 3. the handler is invoked, then re-invoked with the records from the reported checkpoint onwards, until it
 *    reports no failure or the retry budget is spent;
 * 4. the destination is read back: every good record must be there exactly once by its id, every poison record
 *    dead-lettered with its reason; lost must be 0.
 */
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { resetClients } from '../../shared/aws/clients';
import { aggregate } from '../../shared/kpl';
import type { FaultProxy, FaultRule } from './fault-proxy';
import { invokeTimed, plainEvent, redeliveryAfter } from './kinesis-events';

export const FAULTS = [
  'none',
  'throttling',
  '5xx',
  'hang',
  'connection reset',
  'partial failure',
  'dead-letter store failing',
] as const;
export type FaultKind = (typeof FAULTS)[number];

/** A poison record's place: its parent's sequence number and its index in the aggregate. */
export interface Coordinates {
  sequenceNumber: string;
  subSequenceNumber: number;
}

export interface SinkUnderTest {
  name: string;
  /** The function's environment for a cell (its own prefixes/tables/indexes, so cells never see each other). */
  env(cell: string): Record<string, string>;
  handler(event: KinesisStreamEvent, context: Context): Promise<unknown>;
  /** Drops the function's cached configuration. */
  resetConfig(): void;
  /**
   * Rules that inject `fault` at the destination (undefined: this sink has no such fault; the cell is skipped). A
   * sink whose destination is a fake may also arm the fault in the fake here, and lift it in `clearFaults`.
   */
  destinationFault(fault: FaultKind, cell: string): FaultRule[] | undefined;
  clearFaults?(): void;
  /** Rules that make the dead-letter store fail. */
  deadLetterFault(cell: string): FaultRule[];
  /** Ids found at the destination for the cell, with how many times each is stored. */
  delivered(cell: string): Promise<Map<string, number>>;
  /** Coordinates of the records dead-lettered for the cell, with their reasons. */
  deadLettered(cell: string): Promise<Array<Coordinates & { reason: string }>>;
}

export interface CellResult {
  sink: string;
  fault: FaultKind;
  recordsIn: number;
  delivered: number;
  deadLettered: number;
  lost: number;
  duplicated: number;
  invocations: number;
  /** The slowest invocation, against the context's timeout. */
  slowestMs: number;
}

export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/fault-matrix';
export const TIMEOUT_MS = 4_000;
export const MARGIN_MS = 1_000;
const MAX_INVOCATIONS = 8;

/** 24 aggregates of 10 records: 237 good records with ids, 3 poison records in the middle. */
export function matrixBatch(cell: string) {
  const good: string[] = [];
  const poison: Coordinates[] = [];
  const blobs: Uint8Array[] = [];
  for (let parent = 0; parent < 24; parent++) {
    const users = Array.from({ length: 10 }, (_, sub) => {
      if ((parent === 7 && sub === 3) || (parent === 12 && sub === 0) || (parent === 16 && sub === 9)) {
        poison.push({ sequenceNumber: '', subSequenceNumber: sub });
        return { data: `not json ${parent}/${sub}`, partitionKey: `pk-${parent}` };
      }
      const id = `${cell}-${parent}-${sub}`;
      good.push(id);
      return {
        // A number JSON.parse cannot hold exactly: the records must arrive as they were sent.
        data: `{"id":"${id}","n":12345678901234567890,"payload":"${'x'.repeat(40 + ((parent * 7 + sub) % 60))}"}`,
        partitionKey: `pk-${parent}`,
      };
    });
    const [blob] = aggregate(users, { maxBytes: 1024 * 1024 });
    blobs.push(blob!.data);
  }
  const event = plainEvent(blobs, { streamArn: STREAM_ARN, shardId: 'shardId-000000000000' });
  // Fill in the poison records' parent sequence numbers.
  const poisonParents = [7, 12, 16];
  poison.forEach((coordinates, i) => {
    coordinates.sequenceNumber = event.Records[poisonParents[i]!]!.kinesis.sequenceNumber;
  });
  return { event, good, poison };
}

/** Runs one cell and returns its counts. Restores the environment and clears the proxies' rules after. */
export async function runCell(
  sink: SinkUnderTest,
  fault: FaultKind,
  proxies: { destination: FaultProxy; deadLetter: FaultProxy },
): Promise<CellResult | undefined> {
  const cell = `${sink.name}-${fault}`.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  const rules =
    fault === 'dead-letter store failing'
      ? sink.deadLetterFault(cell)
      : fault === 'none'
        ? []
        : sink.destinationFault(fault, cell);
  if (rules === undefined) return undefined;
  const env = sink.env(cell);
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  sink.resetConfig();
  resetClients();
  const target = fault === 'dead-letter store failing' ? proxies.deadLetter : proxies.destination;
  for (const rule of rules) target.add(rule);
  const { event, good, poison } = matrixBatch(cell);
  let pending = event;
  let invocations = 0;
  let slowestMs = 0;
  try {
    while (invocations < MAX_INVOCATIONS) {
      const { response, elapsedMs } = await invokeTimed(sink.handler, sink.name, pending, TIMEOUT_MS);
      slowestMs = Math.max(slowestMs, elapsedMs);
      invocations++;
      target.clear();
      sink.clearFaults?.();
      if (response.batchItemFailures.length === 0) break;
      pending = redeliveryAfter(pending, response);
    }
  } finally {
    proxies.destination.clear();
    proxies.deadLetter.clear();
    sink.clearFaults?.();
    for (const [key, value] of Object.entries(saved))
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    sink.resetConfig();
    resetClients();
  }
  const stored = await sink.delivered(cell);
  const dead = await sink.deadLettered(cell);
  const deadKeys = new Set(dead.map((entry) => `${entry.sequenceNumber}/${entry.subSequenceNumber}`));
  const poisonStored = poison.filter((p) =>
    deadKeys.has(`${p.sequenceNumber}/${p.subSequenceNumber}`),
  ).length;
  const goodStored = good.filter((id) => (stored.get(id) ?? 0) > 0).length;
  return {
    sink: sink.name,
    fault,
    recordsIn: good.length + poison.length,
    delivered: goodStored,
    deadLettered: poisonStored,
    lost: good.length - goodStored + (poison.length - poisonStored),
    duplicated: [...stored.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0),
    invocations,
    slowestMs,
  };
}

/** The matrix as a table (printed by the test so a run shows its evidence). */
export function formatMatrix(results: CellResult[]): string {
  const header = [
    'sink',
    'fault',
    'in',
    'delivered',
    'dead-lettered',
    'lost',
    'duplicated',
    'invocations',
    'slowest ms',
  ];
  const rows = results.map((r) => [
    r.sink,
    r.fault,
    String(r.recordsIn),
    String(r.delivered),
    String(r.deadLettered),
    String(r.lost),
    String(r.duplicated),
    String(r.invocations),
    String(r.slowestMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

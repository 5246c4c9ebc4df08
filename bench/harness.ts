/**
 * Tiny benchmark harness for `npm run bench`. Every figure is a ratio against a reference measured in the same
 * run on the same data, so the numbers mean the same on a laptop and on a 2-core CI box.
 */

export interface Measurement {
  name: string;
  /** Bytes processed per iteration (for MB/s). */
  bytes: number;
  /** Median seconds per iteration. */
  seconds: number;
}

/**
 * Runs `fn` repeatedly: a warm-up, then `rounds` timed rounds of enough iterations to last ~`minMs` each;
 * returns the median seconds per iteration. Interleave contenders by calling measure() per contender in turn.
 */
export function measure(
  name: string,
  bytes: number,
  fn: () => unknown,
  options: { rounds?: number; minMs?: number } = {},
): Measurement {
  const rounds = options.rounds ?? 7;
  const minMs = options.minMs ?? 150;
  let sink: unknown;
  // Warm-up, and calibrate iterations per round.
  let iterations = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) sink = fn();
    const elapsed = performance.now() - start;
    if (elapsed >= minMs / 4) {
      iterations = Math.max(1, Math.ceil((iterations * minMs) / Math.max(elapsed, 0.001)));
      break;
    }
    iterations *= 2;
  }
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) sink = fn();
    samples.push((performance.now() - start) / 1000 / iterations);
  }
  samples.sort((a, b) => a - b);
  if (sink === Symbol.for('never')) console.log(sink);
  return { name, bytes, seconds: samples[Math.floor(samples.length / 2)]! };
}

export const mbPerSecond = (m: Measurement) => m.bytes / m.seconds / 1e6;

/** Prints a table: one row per measurement, with MB/s and the ratio against each named reference. */
export function printTable(title: string, rows: Measurement[], references: string[]): Record<string, number> {
  const byName = new Map(rows.map((row) => [row.name, row]));
  const ratios: Record<string, number> = {};
  const table = rows.map((row) => {
    const line: Record<string, string> = { contender: row.name, 'MB/s': mbPerSecond(row).toFixed(1) };
    for (const reference of references) {
      const ref = byName.get(reference);
      if (!ref) continue;
      const ratio = ref.seconds / row.seconds;
      ratios[`${row.name} / ${reference}`] = ratio;
      line[`x ${reference}`] = ratio.toFixed(2);
    }
    return line;
  });
  // The Node that measured: bench/index.ts runs the suites on Node 22 (Lambda's runtime) where it can.
  console.log(`\n${title} (Node ${process.version})`);
  console.table(table);
  return ratios;
}

/** A benchmark module under bench/ exports `run`, which prints its tables and returns targets it checked. */
export interface BenchResult {
  /** Target checks, e.g. { 'kpl ~100 B vs aws-kinesis-agg >= 3x': true }. */
  targets: Record<string, boolean>;
}

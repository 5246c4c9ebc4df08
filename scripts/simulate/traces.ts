/**
 * Traffic traces for the autoscaling simulator: one row per minute, the load producers OFFER to the stream
 * (throttled or not). Generated deterministically (seeded PRNG) and committed as CSV in events/traces/, so
 * the numbers in the simulator's tables are reproducible and the traces can be replaced by real exports.
 *
 *   npx tsx scripts/simulate/traces.ts     regenerates events/traces/*.csv
 *
 * CSV columns: minute,bytes_per_sec,records_per_sec[,iterator_age_ms] (the last one, the consumers' lag as
 * GetRecords.IteratorAgeMilliseconds, only in traces that have it; 0 where absent).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { repoRoot } from '../lib/functions';
import { mulberry32 } from '../lib/random';

export const TRACES_DIR = join(repoRoot, 'events', 'traces');
const MIB = 1024 * 1024;

export interface TracePoint {
  minute: number;
  bytesPerSec: number;
  recordsPerSec: number;
  /** The consumers' iterator age (Maximum) in that minute, when the trace has it. */
  iteratorAgeMs?: number;
}

export interface Trace {
  name: string;
  points: TracePoint[];
}

/** Multiplicative noise: slow drift (AR(1)) plus per-minute jitter, both around 1. */
function noise(seed: number, jitter: number, drift: number): () => number {
  const random = mulberry32(seed);
  let slow = 0;
  return () => {
    slow = 0.97 * slow + drift * (random() - 0.5);
    return Math.max(0.05, 1 + slow + jitter * (random() - 0.5) * 2);
  };
}

interface Shape {
  name: string;
  minutes: number;
  seed: number;
  /** Average record size in bytes (decides whether bytes or records bind). */
  recordBytes: number;
  /** Offered MiB/s at minute m, before noise. */
  mibPerSec(minute: number): number;
  jitter?: number;
  drift?: number;
  /** The consumers' iterator age at minute m (traces with lagging consumers only). */
  iteratorAgeMs?(minute: number): number;
}

const hours = (h: number) => h * 60;

/** A business day: night trough, morning ramp, peak early afternoon; 0 to 1. */
const businessDay = (minute: number) => {
  const phase = ((minute % hours(24)) / hours(24)) * 2 * Math.PI;
  return Math.max(0, 0.5 - 0.5 * Math.cos(phase - Math.PI / 4)) ** 1.6;
};

export const SHAPES: Shape[] = [
  {
    // Three days of a business-hours pattern: a night trough, a morning ramp, a lunchtime peak, a weekend-ish
    // lower third day. ~2 KiB records: bytes bind.
    name: 'diurnal',
    minutes: hours(72),
    seed: 11,
    recordBytes: 2048,
    mibPerSec: (m) => {
      const day = Math.floor(m / hours(24));
      return (0.4 + 6.5 * businessDay(m)) * (day === 2 ? 0.7 : 1);
    },
  },
  {
    // Steady traffic with two sudden spikes (a flash sale, a backfill): 7x for 2 hours, then 3x for 45 minutes.
    // Small records (300 B): records/s bind.
    name: 'spike',
    minutes: hours(48),
    seed: 23,
    recordBytes: 300,
    mibPerSec: (m) => {
      const base = 0.9;
      if (m >= hours(10) && m < hours(12)) return base * 7;
      if (m >= hours(30) && m < hours(30) + 45) return base * 3;
      return base;
    },
  },
  {
    // A launch: traffic grows 150x over 36 hours (exponentially), then holds. Tests the 10-per-24 h budget:
    // small steps run out of operations long before the growth ends.
    name: 'slow-ramp',
    minutes: hours(48),
    seed: 37,
    recordBytes: 1024,
    jitter: 0.04,
    mibPerSec: (m) => 0.2 * 150 ** Math.min(1, m / hours(36)),
  },
  {
    // Busy, then an upstream outage drops traffic to near zero for 28 hours, then it comes back at once.
    name: 'drop-to-zero',
    minutes: hours(48),
    seed: 41,
    recordBytes: 1500,
    mibPerSec: (m) => (m >= hours(8) && m < hours(36) ? 0.01 : 7.5),
  },
  {
    // A week from Monday 00:00: five business days, then a quiet weekend at a fifth of the weekday level. Tests a
    // budget spent on weekday swings and a long low plateau.
    name: 'weekly',
    minutes: hours(24 * 7),
    seed: 53,
    recordBytes: 1024,
    mibPerSec: (m) => {
      const weekend = Math.floor(m / hours(24)) >= 5;
      return weekend ? 0.15 + 0.8 * businessDay(m) : 0.3 + 4.5 * businessDay(m);
    },
  },
  {
    // A batch job every 15 minutes: each run lands 4 MiB/s at once, draining linearly to the 0.5 MiB/s base by
    // the next run. The peaks are minutes apart, far shorter than any scaling: capacity must cover them.
    name: 'sawtooth',
    minutes: hours(24),
    seed: 59,
    recordBytes: 512,
    jitter: 0.05,
    mibPerSec: (m) => 0.5 + 4 * (1 - (m % 15) / 15),
  },
  {
    // Noise around a flat 1.5 MiB/s: 3 shards at the 0.5 target, 0.375 of 4 shards (the scale-down threshold
    // there) and 0.75 of 2 (the scale-up threshold): a policy without hysteresis flaps.
    name: 'flapping',
    minutes: hours(48),
    seed: 61,
    recordBytes: 2048,
    jitter: 0.15,
    drift: 0.04,
    mibPerSec: () => 1.5,
  },
  {
    // Two business days; on the first evening the consumers fall behind (a slow downstream): the iterator age
    // climbs to 40 minutes while the load declines, and drains over 3 hours. Scaling down then would take
    // read capacity (Lambda consumers per shard) from consumers that are behind.
    name: 'lagging-consumers',
    minutes: hours(48),
    seed: 67,
    recordBytes: 1024,
    mibPerSec: (m) => 0.3 + 5 * businessDay(m),
    iteratorAgeMs: (m) => {
      const start = hours(15);
      if (m < start || m >= start + hours(6)) return 2000;
      const x = (m - start) / hours(6); // 0 to 1: up for the first half, down over the second
      return Math.round(2000 + 40 * 60_000 * Math.sin(Math.PI * x));
    },
  },
];

export function generate(shape: Shape): Trace {
  const next = noise(shape.seed, shape.jitter ?? 0.08, shape.drift ?? 0.02);
  const points: TracePoint[] = [];
  for (let minute = 0; minute < shape.minutes; minute++) {
    const bytesPerSec = Math.round(shape.mibPerSec(minute) * MIB * next());
    points.push({
      minute,
      bytesPerSec,
      recordsPerSec: Math.round(bytesPerSec / shape.recordBytes),
      ...(shape.iteratorAgeMs ? { iteratorAgeMs: shape.iteratorAgeMs(minute) } : {}),
    });
  }
  return { name: shape.name, points };
}

const HEADER = 'minute,bytes_per_sec,records_per_sec';
const LAG_HEADER = `${HEADER},iterator_age_ms`;

export function toCsv(trace: Trace): string {
  const lag = trace.points.some((point) => point.iteratorAgeMs !== undefined);
  return `${lag ? LAG_HEADER : HEADER}\n${trace.points
    .map(
      (point) =>
        `${point.minute},${point.bytesPerSec},${point.recordsPerSec}` +
        (lag ? `,${point.iteratorAgeMs ?? 0}` : ''),
    )
    .join('\n')}\n`;
}

export function parseCsv(name: string, text: string): Trace {
  const [header, ...rows] = text.trim().split(/\r?\n/);
  const lag = header?.trim() === LAG_HEADER;
  if (!lag && header?.trim() !== HEADER) {
    throw new Error(`${name}: expected the header ${HEADER}[,iterator_age_ms]`);
  }
  const columns = lag ? 4 : 3;
  const points = rows.map((row, index): TracePoint => {
    const values = row.split(',').map(Number);
    if (values.length !== columns || !values.every((value) => Number.isFinite(value))) {
      throw new Error(`${name}: line ${index + 2} is not ${columns} numbers`);
    }
    const [minute, bytesPerSec, recordsPerSec, iteratorAgeMs] = values as [number, number, number, number];
    return { minute, bytesPerSec, recordsPerSec, ...(lag ? { iteratorAgeMs } : {}) };
  });
  return { name, points };
}

/** Every events/traces/*.csv, by name. */
export function loadTraces(dir = TRACES_DIR): Trace[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.csv'))
    .sort()
    .map((file) => parseCsv(basename(file, '.csv'), readFileSync(join(dir, file), 'utf8')));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(TRACES_DIR, { recursive: true });
  for (const shape of SHAPES) {
    const trace = generate(shape);
    const file = join(TRACES_DIR, `${shape.name}.csv`);
    writeFileSync(file, toCsv(trace));
    console.log(`${file.replace(repoRoot, '')}  ${trace.points.length} minutes`);
  }
}

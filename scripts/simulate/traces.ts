/**
 * Traffic traces for the autoscaling simulator: one row per minute, the load producers OFFER to the stream
 * (throttled or not). Generated deterministically (seeded PRNG) and committed as CSV in events/traces/, so
 * the numbers in the simulator's tables are reproducible and the traces can be replaced by real exports.
 *
 *   npx tsx scripts/simulate/traces.ts     regenerates events/traces/*.csv
 *
 * CSV columns: minute,bytes_per_sec,records_per_sec
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
}

const hours = (h: number) => h * 60;

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
      const phase = ((m % hours(24)) / hours(24)) * 2 * Math.PI;
      const shape = Math.max(0, 0.5 - 0.5 * Math.cos(phase - Math.PI / 4)) ** 1.6;
      return (0.4 + 6.5 * shape) * (day === 2 ? 0.7 : 1);
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
];

export function generate(shape: Shape): Trace {
  const next = noise(shape.seed, shape.jitter ?? 0.08, shape.drift ?? 0.02);
  const points: TracePoint[] = [];
  for (let minute = 0; minute < shape.minutes; minute++) {
    const bytesPerSec = Math.round(shape.mibPerSec(minute) * MIB * next());
    points.push({ minute, bytesPerSec, recordsPerSec: Math.round(bytesPerSec / shape.recordBytes) });
  }
  return { name: shape.name, points };
}

export function toCsv(trace: Trace): string {
  return `minute,bytes_per_sec,records_per_sec\n${trace.points
    .map((point) => `${point.minute},${point.bytesPerSec},${point.recordsPerSec}`)
    .join('\n')}\n`;
}

export function parseCsv(name: string, text: string): Trace {
  const [header, ...rows] = text.trim().split(/\r?\n/);
  if (header?.trim() !== 'minute,bytes_per_sec,records_per_sec') {
    throw new Error(`${name}: expected the header minute,bytes_per_sec,records_per_sec`);
  }
  const points = rows.map((row, index) => {
    const [minute, bytesPerSec, recordsPerSec] = row.split(',').map(Number);
    if (![minute, bytesPerSec, recordsPerSec].every((value) => Number.isFinite(value))) {
      throw new Error(`${name}: line ${index + 2} is not three numbers`);
    }
    return { minute: minute!, bytesPerSec: bytesPerSec!, recordsPerSec: recordsPerSec! };
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

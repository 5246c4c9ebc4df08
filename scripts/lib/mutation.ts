/** The module table and the scoring behind `npm run mutate` (scripts/mutate.ts); tested in test/unit/mutate.test.ts. */
/** The pure core, by group: the files whose logic decides what is delivered, retried or dead-lettered. */
export const MODULES: Record<string, string[]> = {
  kpl: [
    'shared/kpl/decode.ts',
    'shared/kpl/encode.ts',
    'shared/kpl/wire.ts',
    'shared/kpl/base64.ts',
    'shared/kpl/index.ts',
  ],
  kinesis: [
    'shared/kinesis/runner.ts',
    'shared/kinesis/json-bytes.ts',
    'shared/kinesis/lossless.ts',
    'shared/kinesis/select.ts',
    'shared/kinesis/event.ts',
  ],
  firehose: [
    'shared/firehose/response-size.ts',
    'shared/firehose/decode.ts',
    'shared/firehose/runner.ts',
    'shared/firehose/reingest.ts',
  ],
  sinks: [
    'shared/sinks/key-template.ts',
    'shared/sinks/opensearch.ts',
    'shared/sinks/sns.ts',
    'shared/sinks/concurrency.ts',
    'shared/sinks/dynamodb.ts',
    'shared/sinks/compression.ts',
    'shared/sinks/s3-ndjson.ts',
    'shared/sinks/s3-dead-letter.ts',
  ],
  logformats: [
    'shared/logformats/apache.ts',
    'shared/logformats/syslog.ts',
    'shared/logformats/bytes.ts',
    'shared/logformats/csv.ts',
    'shared/logformats/lines.ts',
    'shared/logformats/time.ts',
    'shared/logformats/json.ts',
  ],
  patterns: ['shared/patterns/event-pattern.ts', 'shared/patterns/cidr.ts', 'shared/patterns/wildcard.ts'],
  autoscaler: [
    'functions/shard-autoscaler/decide.ts',
    'functions/shard-autoscaler/demand.ts',
    'functions/shard-autoscaler/policy.ts',
    'functions/shard-autoscaler/alarms.ts',
    'functions/shard-autoscaler/rearm.ts',
  ],
  consumers: [
    'functions/kinesis-to-dynamodb/item.ts',
    'functions/kinesis-to-sns/rules.ts',
    'functions/kinesis-to-sns/alerts.ts',
    'functions/kinesis-to-sns/transform.ts',
    'functions/kinesis-to-sns/suppression.ts',
    'functions/kinesis-to-s3/transform.ts',
    'functions/kinesis-to-opensearch/transform.ts',
  ],
};

export const TARGET_SCORE = 90;

export interface Equivalent {
  file: string;
  line: number;
  /** When the line holds several mutants with the same mutator and replacement. */
  column?: number;
  mutator: string;
  replacement: string;
  reason: string;
}

interface ReportMutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}

export interface FileScore {
  file: string;
  mutants: number;
  killed: number;
  survived: number;
  noCoverage: number;
  /** Stryker's mutation score: detected / valid mutants, in percent. */
  score: number;
  /** Survivors listed in mutation/equivalent-mutants.json. */
  equivalent: number;
  /** The score with those set aside. */
  adjusted: number;
  /** Survivors and uncovered mutants not listed: what the tests let through. */
  open: { line: number; mutator: string; replacement: string; status: string }[];
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

export function isEquivalent(
  equivalents: readonly Equivalent[],
  file: string,
  mutant: ReportMutant,
): boolean {
  return equivalents.some(
    (e) =>
      e.file === file &&
      e.line === mutant.location.start.line &&
      (e.column === undefined || e.column === mutant.location.start.column) &&
      e.mutator === mutant.mutatorName &&
      e.replacement === (mutant.replacement ?? ''),
  );
}

/** Per-file figures from Stryker's JSON report (mutation-testing-report-schema). */
export function scoreFiles(
  report: { files: Record<string, { mutants: ReportMutant[] }> },
  equivalents: readonly Equivalent[],
): FileScore[] {
  return Object.entries(report.files).map(([file, { mutants }]) => {
    const valid = mutants.filter((m) => DETECTED.has(m.status) || UNDETECTED.has(m.status));
    const detected = valid.filter((m) => DETECTED.has(m.status)).length;
    const undetected = valid.filter((m) => UNDETECTED.has(m.status));
    const listed = undetected.filter((m) => isEquivalent(equivalents, file, m));
    const open = undetected.filter((m) => !listed.includes(m));
    const percent = (n: number, d: number) => (d === 0 ? 100 : (n / d) * 100);
    return {
      file,
      mutants: valid.length,
      killed: detected,
      survived: undetected.filter((m) => m.status === 'Survived').length,
      noCoverage: undetected.filter((m) => m.status === 'NoCoverage').length,
      score: percent(detected, valid.length),
      equivalent: listed.length,
      adjusted: percent(detected, valid.length - listed.length),
      open: open.map((m) => ({
        line: m.location.start.line,
        mutator: m.mutatorName,
        replacement: m.replacement ?? '',
        status: m.status,
      })),
    };
  });
}

/** Listed equivalents for these files that the report does not show surviving: stale entries. */
export function staleEquivalents(
  report: { files: Record<string, { mutants: ReportMutant[] }> },
  equivalents: readonly Equivalent[],
): Equivalent[] {
  return equivalents.filter((e) => {
    const file = report.files[e.file];
    if (!file) return false;
    return !file.mutants.some((m) => UNDETECTED.has(m.status) && isEquivalent([e], e.file, m));
  });
}

/** Runs to make: one per group named, or one per file named (labelled by its path). */
export function runsFor(targets: readonly string[]): { label: string; files: string[] }[] {
  if (targets.length === 0) return Object.entries(MODULES).map(([label, files]) => ({ label, files }));
  const all = Object.values(MODULES).flat();
  return targets.map((target) => {
    const group = MODULES[target];
    if (group) return { label: target, files: group };
    const file = target.replace(/^\.\//, '');
    if (all.includes(file)) return { label: file.replace(/\.ts$/, '').replaceAll('/', '-'), files: [file] };
    throw new Error(
      `${target} is neither a group (${Object.keys(MODULES).join(', ')}) nor one of their files:\n  ${all.join('\n  ')}`,
    );
  });
}

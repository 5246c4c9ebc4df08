/**
 * `npm run simulate`: replays every traffic trace in events/traces/ through the shard autoscaler's decision
 * code (functions/shard-autoscaler: measureDemand + decide, the same alarms) on a simulated stream with
 * simulated CloudWatch alarms, next to the AWS sample's double/halve policy, prints a summary table per trace
 * and writes an SVG chart of load vs capacity per trace to .local/simulate/<trace>.svg.
 *
 *   npm run simulate                 all traces
 *   npm run simulate -- spike        one trace
 *   npx tsx scripts/simulate/traces.ts   regenerate the traces
 *
 * Policies, columns and words as in functions/shard-autoscaler/README.md ("How it compares"): "this policy" is
 * the function's decision code, "AWS sample" aws-samples/kinesis-auto-scaling's double/halve, "best feasible" and
 * "ideal" the bounds of oracle.ts. throttled min = minutes with offered load above capacity; peak util = offered
 * load / capacity at its highest; shard-hours = what the stream costs, and x ideal its ratio to the ideal's;
 * ops (max in 24 h) = UpdateShardCount operations, and the most in any rolling 24 h (AWS allows 10); ops / day =
 * operations per day (flapping shows here); refused calls = UpdateShardCount calls AWS would refuse (the budget,
 * the 2x / half rule, UPDATING); invocations = alarm deliveries to the function (re-arms included). A run in
 * which this policy makes a refused call, exceeds 10 operations in 24 h or leaves [min, max] exits 1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { resolvePolicy } from '../../functions/shard-autoscaler/policy';
import { repoRoot } from '../lib/functions';
import { table } from '../lib/table';
import { renderChart } from './chart';
import { simulate, summarise } from './model';
import { bestFeasible, ideal } from './oracle';
import { anchor, ours } from './policies';
import { loadTraces } from './traces';

/** Shards each trace's stream starts with (some odd on purpose: the anchor's integer halving breaks on them). */
const INITIAL_SHARDS: Record<string, number> = {
  diurnal: 3,
  spike: 3,
  'slow-ramp': 1,
  'drop-to-zero': 16,
  weekly: 4,
  sawtooth: 2,
  flapping: 2,
  'lagging-consumers': 4,
};

const outputDir = join(repoRoot, '.local', 'simulate');
mkdirSync(outputDir, { recursive: true });

const wanted = process.argv.slice(2);
const traces = loadTraces().filter((trace) => wanted.length === 0 || wanted.includes(trace.name));
if (traces.length === 0) {
  console.error(`No trace named ${wanted.join(', ')} in events/traces/`);
  process.exit(2);
}

const policyFor = (name: string) => resolvePolicy({ streamName: name, minShards: 1, maxShards: 64 });
let failures = 0;
for (const trace of traces) {
  const initial = INITIAL_SHARDS[trace.name] ?? 2;
  const policy = policyFor(trace.name);
  const results = [simulate(trace, ours(policy), initial), simulate(trace, anchor(), initial)];
  const oracles = [bestFeasible(trace, policy), ideal(trace, policy)];
  const summaries = results.map((result, index) =>
    summarise(result, index === 0 ? { min: policy.minShards, max: policy.maxShards } : undefined),
  );
  const oracleSummaries = oracles.map((result) => summarise(result));
  const floor = oracleSummaries[1]!['shard-hours'];
  const hours = trace.points.length / 60;
  console.log(`\n${trace.name}: ${hours} h, starting at ${initial} shard(s)`);
  console.log(
    table(
      [...summaries, ...oracleSummaries].map((s) => ({
        policy: s.policy,
        'throttled min': s['throttled min'],
        'peak util': `${s['peak util %']} %`,
        'shard-hours': s['shard-hours'],
        'x ideal': (s['shard-hours'] / floor).toFixed(2),
        'ops (max in 24 h)': `${s['scaling ops']} (${s['max ops / 24h']})`,
        'ops / day': (s['scaling ops'] / (hours / 24)).toFixed(1),
        'refused calls': s['refused calls'],
        invocations: s.invocations,
      })),
    ),
  );
  const ourSummary = summaries[0]!;
  if (ourSummary['refused calls'] + ourSummary['outside min/max'] !== 0 || ourSummary['max ops / 24h'] > 10) {
    failures += 1;
    console.error(
      `  this policy broke a limit on ${trace.name}: ${ourSummary['refused calls']} refused call(s), ` +
        `${ourSummary['outside min/max']} outside min/max, at most ${ourSummary['max ops / 24h']} ops in 24 h`,
      results[0]!.rejected.slice(0, 5),
    );
  }
  const svg = await renderChart(
    `${trace.name}: offered load vs shards`,
    [
      ...summaries.map(
        (s) =>
          `${s.policy}: ${s['throttled min']} throttled min, ${s['shard-hours']} shard-hours ` +
          `(${(s['shard-hours'] / floor).toFixed(2)} x ideal), ${s['scaling ops']} ops ` +
          `(max ${s['max ops / 24h']} in 24 h), ${s['refused calls']} refused calls`,
      ),
      `ideal: ${floor} shard-hours; best feasible (perfect foresight, AWS's rules): ` +
        `${oracleSummaries[0]!['shard-hours']} (${(oracleSummaries[0]!['shard-hours'] / floor).toFixed(2)} x ideal)`,
    ],
    results,
    oracles[1],
  );
  const file = join(outputDir, `${trace.name}.svg`);
  writeFileSync(file, svg);
  console.log(`  chart: ${relative(process.cwd(), file)}`);
}
if (failures > 0) process.exit(1);

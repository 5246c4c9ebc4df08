/**
 * The operations resources in the template `serverless package` writes (deploy/operations/plugin.cjs): every function
 * has its alarms, every alarm notifies the operations topic and says what to do, the switches work, and the
 * dashboard's metrics are ones the functions emit: collected from the code (every addMetric with the dimensions it
 * is emitted with) and, for one function of each runner, from a real run's EMF output.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../shared/aws/clients';
import { functionNames, repoRoot } from '../../scripts/lib/functions';
import type { Template as PolicyTemplate } from '../support/cfn-policy';
import { runProcess } from '../support/process';
import { createBucket } from '../support/s3';
import { runServerless } from '../support/serverless-cli';

async function packaged(args: string[] = []): Promise<Template> {
  const out = mkdtempSync(join(tmpdir(), 'klk-ops-'));
  const result = await runServerless(['package', '--package', out, ...args]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  const file = join(out, 'cloudformation-template-update-stack.json');
  expect(existsSync(file)).toBe(true);
  return JSON.parse(readFileSync(file, 'utf8'));
}

type Template = PolicyTemplate & { Conditions?: Record<string, unknown>; Outputs?: Record<string, unknown> };
type Resource = { Type: string; Condition?: string; Properties: Record<string, unknown> };
type Metric = { namespace: string; name: string; dimensions: string[]; values: Record<string, string> };

let template: Template;
let switchedOff: Template;
beforeAll(async () => {
  // One after the other: osls stages every package in the same .serverless folder.
  template = await packaged();
  switchedOff = await packaged([
    '--param=operationsAlarms=false',
    '--param=operationsEmail=oncall@example.com',
    '--param=iteratorAgeAlarmMs=120000',
  ]);
}, 300_000);

const resources = (t: Template) => Object.entries(t.Resources) as Array<[string, Resource]>;
const alarms = (t: Template) =>
  resources(t).filter(([id, r]) => r.Type === 'AWS::CloudWatch::Alarm' && id.startsWith('Ops'));
const lambdaIds = (t: Template) =>
  Object.fromEntries(
    resources(t)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id, r]) => [String(r.Properties.FunctionName).replace('kinesis-lambda-kit-dev-', ''), id]),
  );

/** The metric names of one alarm, by the function it names (FunctionName Ref, or service). */
function alarmsOf(t: Template, fn: string): string[] {
  const id = lambdaIds(t)[fn]!;
  return alarms(t)
    .filter(([, r]) => {
      const dims = r.Properties.Dimensions as Array<{ Name: string; Value: unknown }>;
      const text = JSON.stringify(r.Properties.AlarmName);
      return (
        dims.some((d) => JSON.stringify(d.Value) === JSON.stringify({ Ref: id }) || d.Value === fn) ||
        text.includes(`-ops-${fn}-`)
      );
    })
    .map(([, r]) => String(r.Properties.MetricName));
}

const CONSUMER = [
  'IteratorAge',
  'Errors',
  'Throttles',
  'RecordsDeadLettered',
  'ApproximateNumberOfMessagesVisible',
];
const FIREHOSE = ['FirehoseRecordsProcessingFailed', 'FirehoseRecordsOverflowed', 'Duration', 'Errors'];
const AUTOSCALER = ['ScalingFailures', 'ApproximateNumberOfMessagesVisible', 'Errors'];

describe('operations alarms', () => {
  it('gives every function the alarms of its kind', () => {
    const names = functionNames();
    expect(names.length).toBeGreaterThan(10);
    for (const fn of names) {
      const expected = fn.startsWith('kinesis-to-')
        ? CONSUMER
        : fn.startsWith('firehose-')
          ? FIREHOSE
          : fn === 'shard-autoscaler'
            ? AUTOSCALER
            : undefined;
      expect(expected, `${fn} has no expected alarm set in this test`).toBeDefined();
      expect(alarmsOf(template, fn).sort(), fn).toEqual([...expected!].sort());
    }
  });

  it('gives every alarm the operations topic as action and a description that says what to do', () => {
    const all = alarms(template);
    expect(all.length).toBeGreaterThan(40);
    for (const [id, alarm] of all) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: 'OperationsTopic' }]);
      expect(alarm.Properties.OKActions, id).toEqual([{ Ref: 'OperationsTopic' }]);
      expect(String(alarm.Properties.AlarmDescription), id).toMatch(/ Do: .{20,}/);
      expect(alarm.Condition, id).toBe('OperationsAlarmsEnabled');
    }
    const topic = template.Resources.OperationsTopic as Resource;
    expect(topic.Properties.KmsMasterKeyId).toEqual({ Ref: 'OperationsTopicKey' });
  });

  it('points the failure-queue alarms at the queues of the mappings, and outputs their URLs', () => {
    const queueAlarm = template.Resources.OpsKinesisToS3FailureQueueAlarm as Resource;
    expect(queueAlarm.Properties.Dimensions).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': ['KinesisToS3FailureQueue', 'QueueName'] } },
    ]);
    expect(template.Outputs!.KinesisToS3FailureQueueUrl).toMatchObject({
      Value: { Ref: 'KinesisToS3FailureQueue' },
    });
  });

  it('switches the alarms off and subscribes an e-mail by --param', () => {
    expect(template.Conditions!.OperationsAlarmsEnabled).toEqual({ 'Fn::Equals': ['true', 'true'] });
    expect(template.Conditions!.OperationsEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    expect(switchedOff.Conditions!.OperationsAlarmsEnabled).toEqual({ 'Fn::Equals': ['false', 'true'] });
    expect(switchedOff.Resources.OperationsTopicEmail).toMatchObject({
      Condition: 'OperationsEmail',
      Properties: { Protocol: 'email', Endpoint: 'oncall@example.com' },
    });
  });

  it('sets the iterator-age threshold by --param', () => {
    expect((switchedOff.Resources.OpsKinesisToS3IteratorAgeAlarm as Resource).Properties.Threshold).toBe(
      120000,
    );
    expect((template.Resources.OpsKinesisToS3IteratorAgeAlarm as Resource).Properties.Threshold).toBe(60000);
  });
});

/** The dashboard's metrics: [namespace, name, dim, value, ..., {stat}] with ${OpsN} variables resolved to text. */
function dashboardMetrics(t: Template): Metric[] {
  const body = (t.Resources.OperationsDashboard as Resource).Properties.DashboardBody as {
    'Fn::Sub': [string, Record<string, unknown>];
  };
  const [text, variables] = body['Fn::Sub'];
  const widgets = JSON.parse(text).widgets as Array<{ properties: { metrics: unknown[][] } }>;
  return widgets.flatMap((w) =>
    w.properties.metrics.map((row) => {
      const [namespace, name, ...rest] = row as string[];
      const pairs = rest.filter((x) => typeof x === 'string');
      const values: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2) {
        const v = pairs[i + 1]!;
        const variable = /^\$\{(Ops\d+)\}$/.exec(v)?.[1];
        values[pairs[i]!] = variable ? JSON.stringify(variables[variable]) : v;
      }
      return { namespace: namespace!, name: name!, dimensions: Object.keys(values).sort(), values };
    }),
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Every custom metric in shared/ and functions/, with its dimension set: `metrics.addMetric` is emitted with
 * [service]; a metric added to a `metrics.singleMetric()` gets service plus the addDimension calls before it.
 */
function emittedInCode(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const file of [
    ...sourceFiles(join(repoRoot, 'shared')),
    ...sourceFiles(join(repoRoot, 'functions')),
  ]) {
    const text = readFileSync(file, 'utf8');
    const single = new Map<string, string[]>();
    const events = [
      ...text.matchAll(/(?:const|let)\s+(\w+)\s*=\s*metrics\.singleMetric\(\)/g),
      ...text.matchAll(/(\w+)\.addDimension\(\s*'(\w+)'/g),
      ...text.matchAll(/(\w+)\.addMetric\(([\s\S]*?),\s*MetricUnit\./g),
    ].sort((a, b) => a.index! - b.index!);
    for (const m of events) {
      if (m[0].includes('singleMetric')) single.set(m[1]!, ['service']);
      else if (m[0].includes('addDimension')) single.get(m[1]!)?.push(m[2]!);
      else {
        const dims = m[1] === 'metrics' ? ['service'] : single.get(m[1]!);
        if (!dims) continue;
        for (const [, name] of m[2]!.matchAll(/'(\w+)'/g)) {
          const set = found.get(name!) ?? new Set<string>();
          set.add([...dims].sort().join(','));
          found.set(name!, set);
        }
      }
    }
  }
  return found;
}

/** POWERTOOLS_SERVICE_NAME of every function in the template. */
const serviceNames = (t: Template) =>
  new Set(
    resources(t)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(
        ([, r]) =>
          (r.Properties.Environment as { Variables: Record<string, string> }).Variables
            .POWERTOOLS_SERVICE_NAME,
      ),
  );

/** The EMF documents a function's handler prints when run on its sample event with metrics on. */
async function emfOf(
  fn: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Array<{ name: string; dims: string[]; values: Record<string, unknown> }>> {
  const result = await runProcess(
    join(repoRoot, 'node_modules/.bin/tsx'),
    ['test/support/emf-run.ts', fn, join(repoRoot, 'events', `${fn}.json`)],
    {
      cwd: repoRoot,
      env: { ...process.env, POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_SERVICE_NAME: fn, ...env },
      timeoutMs: 60_000,
    },
  );
  expect(result.code, result.stderr).toBe(0);
  return result.stdout
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .flatMap((line) => {
      const doc = JSON.parse(line);
      return doc._aws.CloudWatchMetrics.flatMap(
        (m: { Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }) => {
          expect(m.Namespace).toBe('KinesisLambdaKit');
          return m.Metrics.map((metric) => ({
            name: metric.Name,
            dims: m.Dimensions[0]!.slice().sort(),
            values: doc,
          }));
        },
      );
    });
}

describe('operations dashboard', () => {
  it('shows only metrics the functions emit, with the dimensions they are emitted with', () => {
    const metrics = dashboardMetrics(template);
    const custom = metrics.filter((m) => m.namespace === 'KinesisLambdaKit');
    expect(custom.length).toBeGreaterThan(30);
    const code = emittedInCode();
    expect(code.get('RecordsIn')).toEqual(new Set(['service']));
    expect(code.get('ScalingFailures')).toEqual(new Set(['Outcome,StreamName,service']));
    const services = serviceNames(template);
    for (const m of custom) {
      expect(code.get(m.name), `${m.name} is emitted nowhere in shared/ or functions/`).toBeDefined();
      expect([...code.get(m.name)!], m.name).toContain(m.dimensions.join(','));
      expect(services, m.name).toContain(m.values.service);
    }
    // Every AWS metric the dashboard names is one AWS publishes with that dimension.
    const aws: Record<string, string> = {
      'AWS/Lambda IteratorAge': 'FunctionName',
      'AWS/Kinesis GetRecords.IteratorAgeMilliseconds': 'StreamName',
    };
    for (const m of metrics.filter((x) => x.namespace !== 'KinesisLambdaKit')) {
      expect(aws[`${m.namespace} ${m.name}`], `${m.namespace} ${m.name}`).toBe(m.dimensions.join(','));
    }
  });

  it('shows a Kinesis consumer and a Firehose blueprint with exactly what a run of them emits (EMF)', async () => {
    const bucket = 'operations-emf';
    await createBucket(s3Client(), bucket);
    const runs = {
      'kinesis-to-s3': await emfOf('kinesis-to-s3', { BUCKET_NAME: bucket }),
      'firehose-process-record': await emfOf('firehose-process-record'),
    };
    const metrics = dashboardMetrics(template);
    for (const [fn, emitted] of Object.entries(runs)) {
      const shown = metrics.filter((m) => m.namespace === 'KinesisLambdaKit' && m.values.service === fn);
      expect(shown.length, fn).toBeGreaterThanOrEqual(4);
      for (const m of shown) {
        const match = emitted.find((e) => e.name === m.name);
        expect(match, `${fn} did not emit ${m.name}`).toBeDefined();
        expect(match!.dims, m.name).toEqual(m.dimensions);
        expect(match!.values.service).toBe(fn);
      }
    }
    // The alarms on the kit's metrics use the same names and dimensions.
    for (const [, alarm] of alarms(template).filter(
      ([, r]) => r.Properties.Namespace === 'KinesisLambdaKit',
    )) {
      const dims = (alarm.Properties.Dimensions as Array<{ Name: string }>)
        .map((d) => d.Name)
        .sort()
        .join(',');
      expect([...(emittedInCode().get(String(alarm.Properties.MetricName)) ?? [])]).toContain(dims);
    }
  }, 120_000);
});

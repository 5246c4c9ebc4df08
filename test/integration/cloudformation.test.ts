/**
 * The CloudFormation that `serverless package` writes (offline): least privilege for every function's role,
 * encryption at rest for everything the stack creates, the guards every bucket, delivery stream and asynchronously
 * invoked function must have (test/support/cfn-policy.ts, checked over whatever the template holds, so a resource
 * added later is held to them too), and the event source mapping settings the kit relies on.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionNames } from '../../scripts/lib/functions';
import {
  arnTexts,
  findAsyncInvocationsWithoutFailureDestination,
  findBucketProblems,
  findDeliveryStreamsWithoutLogging,
  findIamViolations,
  findUnencryptedResources,
  type Template,
} from '../support/cfn-policy';
import { runServerless } from '../support/serverless-cli';

let template: Template;

async function packaged(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Template> {
  const out = mkdtempSync(join(tmpdir(), 'klk-package-'));
  const result = await runServerless(['package', '--package', out, ...args], env);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  const file = join(out, 'cloudformation-template-update-stack.json');
  expect(existsSync(file), `no ${file}:\n${result.stderr}${result.stdout}`).toBe(true);
  return JSON.parse(readFileSync(file, 'utf8'));
}

beforeAll(async () => {
  template = await packaged();
}, 240_000);

const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

type Rule = {
  Id?: string;
  Prefix?: string;
  ExpirationInDays?: unknown;
  NoncurrentVersionExpiration?: { NoncurrentDays: unknown };
};
const rulesOf = (t: Template, bucket: string) =>
  (t.Resources[bucket]!.Properties!.LifecycleConfiguration as { Rules: Rule[] } | undefined)?.Rules ?? [];

/** The resources of kinesis-to-s3's s3:PutObject statement, as texts. */
const kinesisToS3Writes = (t: Template) => {
  const statements = (
    t.Resources.KinesisToS3Role!.Properties!.Policies as Array<{
      PolicyDocument: { Statement: Array<Record<string, unknown>> };
    }>
  ).flatMap((policy) => policy.PolicyDocument.Statement);
  const writes = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
  expect(writes).toHaveLength(1);
  return arnTexts(writes[0]!.Resource);
};

/**
 * Each Firehose blueprint's role, the --param naming the stream it re-ingests into, the function, the one action it
 * may then call and that action's service (serverless.yml custom.firehoseOverflow).
 */
const FIREHOSE_REINGESTION: [string, string, string, string, 'firehose' | 'kinesis'][] = [
  [
    'FirehoseProcessRecordRole',
    'firehoseProcessRecordDeliveryStream',
    'firehose-process-record',
    'firehose:PutRecordBatch',
    'firehose',
  ],
  [
    'FirehoseJsonPartitionerRole',
    'firehoseJsonPartitionerDeliveryStream',
    'firehose-json-partitioner',
    'firehose:PutRecordBatch',
    'firehose',
  ],
  [
    'FirehoseKinesisSourceRole',
    'firehoseSourceStreamName',
    'firehose-kinesis-source',
    'kinesis:PutRecords',
    'kinesis',
  ],
  [
    'FirehoseApacheLogToJsonRole',
    'firehoseApacheLogToJsonDeliveryStream',
    'firehose-apache-log-to-json',
    'firehose:PutRecordBatch',
    'firehose',
  ],
  [
    'FirehoseApacheLogToCsvRole',
    'firehoseApacheLogToCsvDeliveryStream',
    'firehose-apache-log-to-csv',
    'firehose:PutRecordBatch',
    'firehose',
  ],
  [
    'FirehoseSyslogToJsonRole',
    'firehoseSyslogToJsonDeliveryStream',
    'firehose-syslog-to-json',
    'firehose:PutRecordBatch',
    'firehose',
  ],
  [
    'FirehoseSyslogToCsvRole',
    'firehoseSyslogToCsvDeliveryStream',
    'firehose-syslog-to-csv',
    'firehose:PutRecordBatch',
    'firehose',
  ],
];

type Json = Record<string, unknown>;

/** A condition of the template, evaluated where it compares literals (Fn::Not, Fn::Equals, Condition). */
function conditionHolds(t: Template, name: string): boolean {
  const conditions = (t as { Conditions?: Record<string, unknown> }).Conditions ?? {};
  const evaluate = (expression: unknown): boolean => {
    const e = expression as Json;
    if ('Fn::Not' in e) return !evaluate((e['Fn::Not'] as unknown[])[0]);
    if ('Fn::Equals' in e) {
      const [a, b] = e['Fn::Equals'] as unknown[];
      expect(typeof a === 'string' && typeof b === 'string', `${name} compares literals`).toBe(true);
      return a === b;
    }
    if ('Condition' in e) return evaluate(conditions[String(e.Condition)]);
    throw new Error(`cannot evaluate ${JSON.stringify(e)}`);
  };
  expect(conditions[name], `condition ${name}`).toBeDefined();
  return evaluate(conditions[name]);
}

/** A Fn::Sub of literals, substituted: the ARN text as CloudFormation will write it (the AWS:: variables kept). */
function subbed(resource: unknown): unknown {
  const sub = (resource as Json | undefined)?.['Fn::Sub'];
  if (!Array.isArray(sub)) return resource;
  const [text, variables] = sub as [string, Record<string, string>];
  return Object.entries(variables).reduce((out, [name, value]) => out.split(`\${${name}}`).join(value), text);
}

/** The statements of a role other than its log writes, with Fn::If resolved as the template's conditions say. */
function reingestGrants(t: Template, role: string): Json[] {
  const statements = (
    t.Resources[role]!.Properties!.Policies as Array<{ PolicyDocument: { Statement: unknown[] } }>
  ).flatMap((policy) => policy.PolicyDocument.Statement);
  return statements
    .map((statement) => {
      const branch = (statement as Json)['Fn::If'] as [string, Json, Json] | undefined;
      if (!branch) return statement as Json;
      return conditionHolds(t, branch[0]) ? branch[1] : undefined;
    })
    .filter((statement): statement is Json => statement !== undefined)
    .filter((statement) => ![statement.Action].flat().includes('logs:PutLogEvents'))
    .map(({ Condition, ...statement }) =>
      Condition === undefined
        ? { ...statement, Resource: subbed(statement.Resource) }
        : { ...statement, Resource: subbed(statement.Resource), Condition },
    );
}

/** A function's environment variables in the template. */
function environmentOf(t: Template, name: string): Record<string, unknown> {
  const fn = Object.values(t.Resources).find(
    (resource) =>
      resource.Type === 'AWS::Lambda::Function' &&
      resource.Properties!.FunctionName === `kinesis-lambda-kit-dev-${name}`,
  );
  expect(fn, name).toBeDefined();
  return (fn!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
}

const functionsIn = (t: Template) =>
  Object.entries(t.Resources).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');

describe('packaged CloudFormation', () => {
  it('deploys every function folder on nodejs22.x', () => {
    const deployed = functionsIn(template).map(([, resource]) => String(resource.Properties!.FunctionName));
    for (const name of functionNames()) expect(deployed).toContain(`kinesis-lambda-kit-dev-${name}`);
    for (const [, resource] of functionsIn(template)) expect(resource.Properties!.Runtime).toBe('nodejs22.x');
  });

  it('gives every function a role of its own', () => {
    const roles = functionsIn(template).map(([, resource]) => JSON.stringify(resource.Properties!.Role));
    expect(new Set(roles).size).toBe(roles.length);
    expect(
      template.Resources.IamRoleLambdaExecution,
      'the shared default role must not exist',
    ).toBeUndefined();
  });

  it('grants least privilege: no wildcard actions, no "*" resource except where AWS accepts nothing else', () => {
    // Also: no object writes on a whole bucket, no PutMetricAlarm without a cloudwatch:AlarmActions bound.
    expect(findIamViolations(template)).toEqual([]);
  });

  it('guards every bucket: encrypted, no public access, TLS only, versioned where a key is rewritten, lifecycle rules', () => {
    const buckets = ofType(template, 'AWS::S3::Bucket').map(([name]) => name);
    // The deployment bucket osls creates is held to the same rules.
    expect(buckets).toContain('ServerlessDeploymentBucket');
    expect(buckets).toContain('KinesisToS3Bucket');
    expect(findBucketProblems(template)).toEqual([]);
  });

  it('logs the delivery errors of every Firehose delivery stream to CloudWatch Logs', () => {
    expect(ofType(template, 'AWS::KinesisFirehose::DeliveryStream').length).toBeGreaterThan(0);
    expect(findDeliveryStreamsWithoutLogging(template)).toEqual([]);
  });

  it('gives every asynchronously invoked function an on-failure destination', () => {
    expect(findAsyncInvocationsWithoutFailureDestination(template)).toEqual([]);
    // The shard autoscaler is one (SNS or EventBridge, by parameter); both paths are in the template.
    expect(ofType(template, 'AWS::Lambda::EventInvokeConfig').length).toBeGreaterThan(0);
  });

  it('lets kinesis-to-s3 write under its data and dead-letter prefixes only', () => {
    expect(kinesisToS3Writes(template)).toEqual([
      'arn:${AWS::Partition}:s3:::${KinesisToS3Bucket}/data/*',
      'arn:${AWS::Partition}:s3:::/data/*',
      'arn:${AWS::Partition}:s3:::${KinesisToS3Bucket}/dead-letter/*',
      'arn:${AWS::Partition}:s3:::/dead-letter/*',
    ]);
    expect(rulesOf(template, 'KinesisToS3Bucket').find((rule) => rule.Id === 'dead-letters')?.Prefix).toBe(
      'dead-letter/',
    );
  });

  it('takes prefixes as deployed and retention days from --param', async () => {
    const custom = await packaged(
      [
        '--param=deadLetterRetentionDays=14',
        '--param=processingFailedRetentionDays=21',
        '--param=noncurrentVersionRetentionDays=3',
      ],
      {
        KEY_PREFIX: '/raw/',
        KEY_TEMPLATE: 'v2/{prefix}-{yyyy}/{shardId}-{firstSeq}{ext}',
        DEAD_LETTER_PREFIX: 'dl',
      },
    );
    expect(kinesisToS3Writes(custom).filter((text) => text.includes('${KinesisToS3Bucket}'))).toEqual([
      'arn:${AWS::Partition}:s3:::${KinesisToS3Bucket}/v2/raw-*',
      'arn:${AWS::Partition}:s3:::${KinesisToS3Bucket}/dl/*',
    ]);
    expect(findBucketProblems(custom)).toEqual([]);
    const days = (bucket: string, id: string) =>
      Number(rulesOf(custom, bucket).find((r) => r.Id === id)?.ExpirationInDays);
    expect(rulesOf(custom, 'KinesisToS3Bucket').find((rule) => rule.Id === 'dead-letters')?.Prefix).toBe(
      'dl/',
    );
    expect(days('KinesisToS3Bucket', 'dead-letters')).toBe(14);
    expect(days('FirehoseCloudWatchLogsBucket', 'processing-failed')).toBe(21);
    for (const [name, bucket] of ofType(custom, 'AWS::S3::Bucket')) {
      if (
        (bucket.Properties!.VersioningConfiguration as { Status?: string } | undefined)?.Status !== 'Enabled'
      )
        continue;
      const noncurrent = rulesOf(custom, name).find((rule) => rule.NoncurrentVersionExpiration);
      expect(Number(noncurrent?.NoncurrentVersionExpiration?.NoncurrentDays), name).toBe(3);
    }
    // Every stream consumer's dead letters expire as --param says.
    const deadLetterRules = ofType(custom, 'AWS::S3::Bucket').flatMap(([name]) =>
      rulesOf(custom, name)
        .filter((rule) => rule.Id === 'dead-letters')
        .map((rule) => [name, rule] as const),
    );
    expect(deadLetterRules.length).toBeGreaterThanOrEqual(2);
    for (const [name, rule] of deadLetterRules) expect(Number(rule.ExpirationInDays), name).toBe(14);
  }, 180_000);

  it('refuses a KEY_TEMPLATE whose keys share no fixed start (the role would need the whole bucket)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'klk-package-'));
    const result = await runServerless(['package', '--package', out], {
      KEY_TEMPLATE: '{yyyy}/{prefix}/{shardId}-{firstSeq}{ext}',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/KEY_TEMPLATE .* share no fixed start/);
  }, 180_000);

  it('refuses retention days that are not a whole number of days, 1 or more, naming the parameter', async () => {
    for (const value of ['0', 'ninety', '1.5']) {
      const out = mkdtempSync(join(tmpdir(), 'klk-package-'));
      const result = await runServerless([
        'package',
        '--package',
        out,
        `--param=deadLetterRetentionDays=${value}`,
      ]);
      expect(result.code).not.toBe(0);
      expect(result.stderr + result.stdout).toContain(
        `--param="deadLetterRetentionDays=${value}" must be a whole number of days, 1 or more`,
      );
    }
  }, 180_000);

  it('grants no Firehose blueprint a re-ingestion permission, and keeps OVERFLOW processing-failed, unless its stream is named', () => {
    for (const [role, , fn] of FIREHOSE_REINGESTION) {
      expect(reingestGrants(template, role), role).toEqual([]);
      expect(environmentOf(template, fn).OVERFLOW, fn).toBe('processing-failed');
    }
    // The CloudWatch Logs processor's delivery stream is the stack's own: it always re-ingests into it.
    expect(environmentOf(template, 'firehose-cloudwatch-logs-processor').OVERFLOW).toBe('reingest');
  });

  it("with --param naming each blueprint's stream: exactly the one put on exactly that stream, OVERFLOW reingest", async () => {
    const named = await packaged(FIREHOSE_REINGESTION.map(([, param], i) => `--param=${param}=stream-${i}`));
    expect(findIamViolations(named)).toEqual([]);
    for (const [i, [role, , fn, action, service]] of FIREHOSE_REINGESTION.entries()) {
      const grants = reingestGrants(named, role);
      const puts = grants.filter((statement) => statement.Action !== 'kms:GenerateDataKey');
      expect(puts, role).toEqual([
        {
          Effect: 'Allow',
          Action: action,
          Resource: `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${service === 'firehose' ? 'deliverystream' : 'stream'}/stream-${i}`,
        },
      ]);
      expect(environmentOf(named, fn).OVERFLOW, fn).toBe('reingest');
    }
  }, 180_000);

  it('refuses a re-ingestion stream name AWS would refuse, naming the parameter', async () => {
    const out = mkdtempSync(join(tmpdir(), 'klk-package-'));
    const result = await runServerless([
      'package',
      '--package',
      out,
      '--param=firehoseApacheLogToJsonDeliveryStream=logs/apache',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toContain(
      '--param="firehoseApacheLogToJsonDeliveryStream=logs/apache" must be a delivery stream name',
    );
  }, 180_000);

  it('encrypts at rest every stream, bucket, queue, topic, table and delivery stream it creates', () => {
    expect(findUnencryptedResources(template)).toEqual([]);
  });

  it('keeps kinesis-to-s3 records in the stream well past the age at which Lambda gives up on them', () => {
    const stream = template.Resources.KinesisToS3Stream!.Properties!;
    const mapping = Object.values(template.Resources).find(
      (resource) =>
        resource.Type === 'AWS::Lambda::EventSourceMapping' &&
        JSON.stringify(resource.Properties!.FunctionName).includes('KinesisDashtoDashs3'),
    )!.Properties!;
    // At least a day left to replay from the on-failure destination's pointers.
    expect(
      (stream.RetentionPeriodHours as number) * 3600 - (mapping.MaximumRecordAgeInSeconds as number),
    ).toBeGreaterThanOrEqual(86400);
  });

  it('lets kinesis-to-s3 write with SSE=aws:kms: a data key through S3 only, when SSE is aws:kms', () => {
    const statements = (
      template.Resources.KinesisToS3Role!.Properties!.Policies as Array<{
        PolicyDocument: { Statement: unknown[] };
      }>
    )[0]!.PolicyDocument.Statement;
    const kms = statements.find((s) => JSON.stringify(s).includes('kms:GenerateDataKey')) as {
      'Fn::If': [string, { Action: string; Condition: unknown }, unknown];
    };
    expect(kms['Fn::If'][0]).toBe('KinesisToS3SseKms');
    expect(kms['Fn::If'][1].Action).toBe('kms:GenerateDataKey');
    expect(JSON.stringify(kms['Fn::If'][1].Condition)).toContain('s3.${AWS::Region}.amazonaws.com');
    // SSE read as the function reads it: the shell's value first, AES256 by default.
    expect((template as { Conditions?: Record<string, unknown> }).Conditions!.KinesisToS3SseKms).toEqual({
      'Fn::Equals': [process.env.SSE || 'AES256', 'aws:kms'],
    });
  });

  it('maps kinesis-to-s3 with partial batch responses, bisecting, bounded retries and an on-failure destination', () => {
    const mapping = Object.values(template.Resources).find(
      (resource) =>
        resource.Type === 'AWS::Lambda::EventSourceMapping' &&
        JSON.stringify(resource.Properties!.FunctionName).includes('KinesisDashtoDashs3'),
    );
    expect(mapping?.Properties).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 21600,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['KinesisToS3FailureQueue', 'Arn'] } } },
    });
  });
});

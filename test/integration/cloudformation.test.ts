/**
 * The CloudFormation that `serverless package` writes (offline): least privilege for every function's role,
 * encryption at rest for everything the stack creates, and the event source mapping settings the kit relies on.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionNames } from '../../scripts/lib/functions';
import { findIamViolations, findUnencryptedResources, type Template } from '../support/cfn-policy';
import { runServerless } from '../support/serverless-cli';

let template: Template;

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'klk-package-'));
  const result = await runServerless(['package', '--package', out]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 240_000);

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
    expect(findIamViolations(template)).toEqual([]);
  });

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

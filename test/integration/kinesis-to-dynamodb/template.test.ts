/**
 * kinesis-to-dynamodb in the packaged CloudFormation (offline `serverless package`): the table (on-demand,
 * encrypted, point-in-time recovery), the event source mapping settings, and a role that can write to that table
 * and the dead-letter prefix only.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from '../../support/cfn-policy';
import { runServerless } from '../../support/serverless-cli';

let template: Template;

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'klk-ddb-package-'));
  const result = await runServerless(['package', '--package', out]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 240_000);

describe('kinesis-to-dynamodb in the packaged template', () => {
  it('creates an on-demand table, encrypted, with point-in-time recovery', () => {
    expect(template.Resources.KinesisToDynamoDbTable!.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  it('maps the stream with partial batch responses, bisecting, bounded retries and an on-failure destination', () => {
    const mapping = Object.values(template.Resources).find(
      (resource) =>
        resource.Type === 'AWS::Lambda::EventSourceMapping' &&
        JSON.stringify(resource.Properties!.FunctionName).includes('KinesisDashtoDashdynamodb'),
    );
    expect(mapping?.Properties).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 21600,
      EventSourceArn: { 'Fn::GetAtt': ['KinesisToDynamoDbStream', 'Arn'] },
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': ['KinesisToDynamoDbFailureQueue', 'Arn'] } },
      },
    });
  });

  it('lets the function write to its table and the dead-letter prefix only', () => {
    const role = template.Resources.KinesisToDynamoDbRole!.Properties as {
      Policies: Array<{
        PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> };
      }>;
    };
    const statements = role.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:PutItem',
    ]);
    expect(actions.filter((action) => action.startsWith('s3:'))).toEqual(['s3:PutObject']);
    const dynamo = statements.find((statement) => [statement.Action].flat().includes('dynamodb:PutItem'))!;
    expect(dynamo.Resource).toEqual({
      'Fn::Sub': [
        'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}',
        { Table: { 'Fn::If': ['CreateKinesisToDynamoDbTable', { Ref: 'KinesisToDynamoDbTable' }, ''] } },
      ],
    });
    const s3 = statements.find((statement) => statement.Action === 's3:PutObject')!;
    expect(JSON.stringify(s3.Resource)).toContain('s3:::${Bucket}/dead-letter/kinesis-to-dynamodb/*');
    expect(JSON.stringify(s3.Resource)).toContain('KinesisToDynamoDbDeadLetterBucket');
  });
});

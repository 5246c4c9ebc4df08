import { describe, expect, it } from 'vitest';
import { findIamViolations, findUnencryptedResources, type Template } from '../support/cfn-policy';

const role = (statements: unknown[], extra: Record<string, unknown> = {}): Template => ({
  Resources: {
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: statements } }], ...extra },
    },
  },
});

describe('least-privilege check', () => {
  it('accepts scoped statements and star-only actions', () => {
    expect(
      findIamViolations(
        role([
          { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::bucket/*' },
          { Effect: 'Allow', Action: ['cloudwatch:GetMetricData'], Resource: '*' },
        ]),
      ),
    ).toEqual([]);
  });

  it('flags wildcard actions, "*" resources, NotAction and managed policies', () => {
    expect(
      findIamViolations(role([{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' }])),
    ).toEqual(['Role/p: wildcard action s3:*']);
    expect(findIamViolations(role([{ Effect: 'Allow', Action: '*', Resource: '*' }]))).toHaveLength(2);
    expect(
      findIamViolations(role([{ Effect: 'Allow', Action: ['kinesis:PutRecords'], Resource: '*' }])),
    ).toEqual(['Role/p: Resource "*" for kinesis:PutRecords']);
    expect(findIamViolations(role([{ Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:x' }]))[0]).toMatch(
      /NotAction/,
    );
    expect(
      findIamViolations(role([], { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }))[0],
    ).toMatch(/managed policies/);
  });

  it('flags unencrypted data stores', () => {
    const template: Template = {
      Resources: {
        S: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } },
        B: { Type: 'AWS::S3::Bucket', Properties: {} },
        Q: { Type: 'AWS::SQS::Queue', Properties: {} },
        T: { Type: 'AWS::SNS::Topic', Properties: {} },
        D: { Type: 'AWS::KinesisFirehose::DeliveryStream', Properties: { DeliveryStreamType: 'DirectPut' } },
        Ok: { Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true } },
      },
    };
    expect(findUnencryptedResources(template).map((problem) => problem.split(':')[0])).toEqual([
      'S',
      'B',
      'Q',
      'T',
      'D',
    ]);
  });
});

describe('least-privilege check: partial wildcards and account-wide resources', () => {
  it('flags kms:Create* and key/* without a condition, accepts key/* narrowed by kms:ViaService', () => {
    expect(
      findIamViolations(
        role([{ Effect: 'Allow', Action: 'kms:Create*', Resource: 'arn:aws:kms:us-east-1:1:key/abc' }]),
      ),
    ).toEqual(['Role/p: wildcard action kms:Create*']);
    const keyStar = { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*' };
    expect(
      findIamViolations(role([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyStar }]))[0],
    ).toMatch(/account-wide/);
    expect(
      findIamViolations(
        role([
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: keyStar,
            Condition: { StringEquals: { 'kms:ViaService': 'kinesis.us-east-1.amazonaws.com' } },
          },
        ]),
      ),
    ).toEqual([]);
    expect(
      findIamViolations(
        role([{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::bucket/*' }]),
      ),
    ).toEqual([]);
  });
});

describe('least-privilege check: conditional statements', () => {
  it('checks both branches of Fn::If', () => {
    const conditional = {
      'Fn::If': [
        'Cond',
        { Effect: 'Allow', Action: 'kinesis:*', Resource: 'arn:x' },
        { Ref: 'AWS::NoValue' },
      ],
    };
    expect(findIamViolations(role([conditional]))).toEqual(['Role/p: wildcard action kinesis:*']);
  });
});

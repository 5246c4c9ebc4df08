import { describe, expect, it } from 'vitest';
import {
  arnTexts,
  findAsyncInvocationsWithoutFailureDestination,
  findBucketProblems,
  findDeliveryStreamsWithoutLogging,
  findIamViolations,
  findUnencryptedResources,
  type Template,
} from '../support/cfn-policy';

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
          { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::bucket/data/*' },
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
        role([{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::bucket/dead-letter/*' }]),
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

describe('least-privilege check: object writes on a whole bucket', () => {
  const bucketArn = { 'Fn::GetAtt': ['Data', 'Arn'] };
  it.each([
    ['a literal ARN', 'arn:aws:s3:::bucket/*'],
    ['every bucket', 'arn:aws:s3:::*'],
    ['a GetAtt in Fn::Sub', { 'Fn::Sub': '${Data.Arn}/*' }],
    [
      'a Ref in Fn::Sub variables',
      { 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${B}/*', { B: { Ref: 'Data' } }] },
    ],
    ['an Fn::Join', { 'Fn::Join': ['', [bucketArn, '/*']] }],
    ['one branch of an Fn::If', { 'Fn::If': ['C', 'arn:aws:s3:::b/data/*', 'arn:aws:s3:::b/*'] }],
  ])('flags s3:PutObject on %s', (_, resource) => {
    expect(
      findIamViolations(role([{ Effect: 'Allow', Action: 's3:PutObject', Resource: resource }])),
    ).toEqual([expect.stringMatching(/^Role\/p: s3:PutObject on every key of a bucket/)]);
  });

  it('accepts prefixes, and reads through Fn::Sub, Fn::Join and Fn::If', () => {
    const scoped = [
      'arn:aws:s3:::bucket/data/*',
      {
        'Fn::Sub': [
          'arn:${AWS::Partition}:s3:::${B}/dead-letter/*',
          { B: { 'Fn::If': ['C', { Ref: 'X' }, 'y'] } },
        ],
      },
      { 'Fn::Join': ['', [bucketArn, '/logs/*']] },
    ];
    expect(
      findIamViolations(
        role([{ Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: scoped }]),
      ),
    ).toEqual([]);
    // Reading a bucket whole is not writing it.
    expect(
      findIamViolations(role([{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }])),
    ).toEqual([]);
    expect(
      arnTexts({ 'Fn::Sub': ['arn:${P}:s3:::${B}/x/*', { B: { 'Fn::If': ['C', { Ref: 'X' }, 'given'] } }] }),
    ).toEqual(['arn:${P}:s3:::${X}/x/*', 'arn:${P}:s3:::given/x/*']);
  });
});

describe('least-privilege check: alarm actions', () => {
  const put = (condition?: unknown) => ({
    Effect: 'Allow',
    Action: 'cloudwatch:PutMetricAlarm',
    Resource: 'arn:aws:cloudwatch:us-east-1:1:alarm:kit-*',
    ...(condition === undefined ? {} : { Condition: condition }),
  });
  it('flags PutMetricAlarm without a cloudwatch:AlarmActions condition, or with one that bounds nothing', () => {
    expect(findIamViolations(role([put()]))[0]).toMatch(/PutMetricAlarm without .*cloudwatch:AlarmActions/);
    expect(
      findIamViolations(
        role([put({ 'ForAnyValue:StringEquals': { 'cloudwatch:AlarmActions': ['arn:t'] } })]),
      ),
    ).toHaveLength(1);
    expect(findIamViolations(role([put({ StringEquals: { 'aws:SourceAccount': '1' } })]))).toHaveLength(1);
    // Fn::If: every branch must bound the actions.
    expect(
      findIamViolations(
        role([
          put({
            'Fn::If': [
              'C',
              { 'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': ['arn:t'] } },
              { Ref: 'AWS::NoValue' },
            ],
          }),
        ]),
      ),
    ).toHaveLength(1);
  });

  it('accepts ForAllValues on the listed actions, or Null (no actions), in every branch', () => {
    expect(
      findIamViolations(
        role([put({ 'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': ['arn:t'] } })]),
      ),
    ).toEqual([]);
    expect(
      findIamViolations(
        role([
          put({
            'Fn::If': [
              'C',
              { 'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': [{ Ref: 'Topic' }] } },
              { Null: { 'cloudwatch:AlarmActions': 'true' } },
            ],
          }),
        ]),
      ),
    ).toEqual([]);
  });
});

type Resource = Template['Resources'][string];
const goodBucket = (extra: Record<string, unknown> = {}): Resource => ({
  Type: 'AWS::S3::Bucket',
  Properties: {
    BucketEncryption: { ServerSideEncryptionConfiguration: [] },
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
    VersioningConfiguration: { Status: 'Enabled' },
    LifecycleConfiguration: {
      Rules: [
        {
          Status: 'Enabled',
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
        { Status: 'Enabled', Prefix: 'dead-letter/', ExpirationInDays: 90 },
      ],
    },
    ...extra,
  },
});
const tlsPolicy = (
  bucket = 'B',
  resource: unknown = [{ 'Fn::GetAtt': [bucket, 'Arn'] }, { 'Fn::Sub': `\${${bucket}.Arn}/*` }],
): Resource => ({
  Type: 'AWS::S3::BucketPolicy',
  Properties: {
    Bucket: { Ref: bucket },
    PolicyDocument: {
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: resource,
          Condition: { Bool: { 'aws:SecureTransport': false } },
        },
      ],
    },
  },
});

describe('bucket check', () => {
  it('accepts a bucket with every guard (and the osls deployment bucket policy shape)', () => {
    expect(findBucketProblems({ Resources: { B: goodBucket(), P: tlsPolicy() } })).toEqual([]);
    const join = (...tail: string[]) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'B' }, ...tail]],
    });
    expect(
      findBucketProblems({ Resources: { B: goodBucket(), P: tlsPolicy('B', [join('/*'), join()]) } }),
    ).toEqual([]);
  });

  it('flags public access, a missing or partial TLS policy, one not created with the bucket, and no encryption', () => {
    const problems = (resources: Template['Resources']) =>
      findBucketProblems({ Resources: resources }).map((problem) => problem.replace(/^B: /, ''));
    expect(
      problems({
        B: goodBucket({ PublicAccessBlockConfiguration: { BlockPublicAcls: true } }),
        P: tlsPolicy(),
      }),
    ).toEqual([expect.stringMatching(/without BlockPublicPolicy, IgnorePublicAcls, RestrictPublicBuckets/)]);
    expect(problems({ B: goodBucket() })).toEqual([
      expect.stringMatching(/no bucket policy denying s3:\* without TLS/),
    ]);
    // Objects only: the bucket itself (ListBucket...) stays reachable over plain HTTP.
    expect(problems({ B: goodBucket(), P: tlsPolicy('B', [{ 'Fn::Sub': '${B.Arn}/*' }]) })).toHaveLength(1);
    // Another bucket's policy does not count.
    expect(problems({ B: goodBucket(), P: tlsPolicy('Other') })).toHaveLength(1);
    expect(problems({ B: { ...goodBucket(), Condition: 'Create' }, P: tlsPolicy() })).toEqual([
      expect.stringMatching(/not created with it/),
    ]);
    expect(problems({ B: goodBucket({ BucketEncryption: undefined }), P: tlsPolicy() })).toEqual([
      expect.stringMatching(/without BucketEncryption/),
    ]);
  });

  it('wants versioning with noncurrent versions expiring, and incomplete uploads aborted, for the whole bucket', () => {
    const problems = (bucket: Resource) => findBucketProblems({ Resources: { B: bucket, P: tlsPolicy() } });
    expect(problems(goodBucket({ VersioningConfiguration: undefined }))[0]).toMatch(/not versioned/);
    expect(problems(goodBucket({ LifecycleConfiguration: undefined }))).toEqual([
      expect.stringMatching(/AbortIncompleteMultipartUpload/),
      expect.stringMatching(/no lifecycle rule \(whole bucket\) expires noncurrent versions/),
    ]);
    // A rule on one prefix, or a disabled rule, does not cover the bucket.
    const partial = {
      Rules: [
        { Status: 'Enabled', Prefix: 'data/', NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
        { Status: 'Disabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
      ],
    };
    expect(problems(goodBucket({ LifecycleConfiguration: partial }))).toHaveLength(2);
  });

  it('lets a bucket go unversioned only with a stated reason and no function writing into it', () => {
    const unversioned = (metadata?: Record<string, unknown>): Resource => ({
      ...goodBucket({ VersioningConfiguration: undefined }),
      ...(metadata ? { Metadata: metadata } : {}),
    });
    const reason = { KeysNeverOverwritten: 'Firehose names objects uniquely' };
    expect(findBucketProblems({ Resources: { B: unversioned(reason), P: tlsPolicy() } })).toEqual([]);
    const writer = (trust: string): Resource => ({
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: trust } }] },
        Policies: [
          {
            PolicyName: 'w',
            PolicyDocument: {
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 's3:PutObject',
                  Resource: { 'Fn::Sub': ['arn:aws:s3:::${X}/data/*', { X: { Ref: 'B' } }] },
                },
              ],
            },
          },
        ],
      },
    });
    expect(
      findBucketProblems({
        Resources: { B: unversioned(reason), P: tlsPolicy(), R: writer('lambda.amazonaws.com') },
      }),
    ).toEqual([expect.stringMatching(/not versioned, yet a function's role may write/)]);
    expect(
      findBucketProblems({
        Resources: { B: unversioned(reason), P: tlsPolicy(), R: writer('firehose.amazonaws.com') },
      }),
    ).toEqual([]);
  });
});

describe('delivery stream logging check', () => {
  const stream = (logging: unknown, roleStatements: unknown[]): Template => ({
    Resources: {
      S: {
        Type: 'AWS::KinesisFirehose::DeliveryStream',
        Properties: {
          ExtendedS3DestinationConfiguration: {
            RoleARN: { 'Fn::GetAtt': ['R', 'Arn'] },
            ...(logging === undefined ? {} : { CloudWatchLoggingOptions: logging }),
          },
        },
      },
      R: {
        Type: 'AWS::IAM::Role',
        Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: roleStatements } }] },
      },
    },
  });
  const logging = { Enabled: true, LogGroupName: { Ref: 'G' }, LogStreamName: { Ref: 'L' } };
  const put = {
    Effect: 'Allow',
    Action: 'logs:PutLogEvents',
    Resource: {
      'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${G}:log-stream:${L}',
    },
  };

  it('accepts logging on, with a role that may write there', () => {
    expect(findDeliveryStreamsWithoutLogging(stream(logging, [put]))).toEqual([]);
  });

  it('flags logging off or incomplete, and a role that may not write the log group', () => {
    expect(findDeliveryStreamsWithoutLogging(stream(undefined, [put]))).toHaveLength(1);
    expect(findDeliveryStreamsWithoutLogging(stream({ ...logging, Enabled: false }, [put]))).toHaveLength(1);
    expect(
      findDeliveryStreamsWithoutLogging(stream({ Enabled: true, LogGroupName: 'g' }, [put])),
    ).toHaveLength(1);
    expect(findDeliveryStreamsWithoutLogging(stream(logging, []))[0]).toMatch(/R may not logs:PutLogEvents/);
  });
});

describe('asynchronous invocation check', () => {
  const fn: Resource = { Type: 'AWS::Lambda::Function', Properties: {} };
  const config = (onFailure?: unknown): Resource => ({
    Type: 'AWS::Lambda::EventInvokeConfig',
    Properties: {
      FunctionName: { Ref: 'F' },
      DestinationConfig: onFailure === undefined ? {} : { OnFailure: { Destination: onFailure } },
    },
  });
  const permission = (principal: string): Resource => ({
    Type: 'AWS::Lambda::Permission',
    Properties: {
      FunctionName: { 'Fn::GetAtt': ['F', 'Arn'] },
      Principal: principal,
      Action: 'lambda:InvokeFunction',
    },
  });

  it('flags functions that SNS, EventBridge or S3 invoke without an on-failure destination', () => {
    for (const principal of ['sns.amazonaws.com', 'events.amazonaws.com', 's3.amazonaws.com']) {
      expect(
        findAsyncInvocationsWithoutFailureDestination({ Resources: { F: fn, P: permission(principal) } }),
      ).toEqual([expect.stringMatching(/^F: invoked asynchronously \(P\)/)]);
    }
    const subscription: Resource = {
      Type: 'AWS::SNS::Subscription',
      Properties: { Protocol: 'lambda', Endpoint: { 'Fn::GetAtt': ['F', 'Arn'] } },
    };
    const rule: Resource = {
      Type: 'AWS::Events::Rule',
      Properties: { Targets: [{ Arn: { 'Fn::GetAtt': ['F', 'Arn'] } }] },
    };
    expect(findAsyncInvocationsWithoutFailureDestination({ Resources: { F: fn, S: subscription } })).toEqual([
      expect.stringMatching(/^S: SNS subscription of F without a RedrivePolicy/),
      expect.stringMatching(/^F: invoked asynchronously \(S\) without an on-failure destination/),
    ]);
    expect(
      findAsyncInvocationsWithoutFailureDestination({ Resources: { F: fn, E: rule, C: config() } }),
    ).toEqual([
      expect.stringMatching(/^E: EventBridge target F without a DeadLetterConfig/),
      expect.stringMatching(/^F: invoked asynchronously \(E\)/),
    ]);
  });

  it('wants the deliveries kept too: a RedrivePolicy on SNS subscriptions, a DeadLetterConfig on rule targets', () => {
    const queue = { 'Fn::GetAtt': ['Q', 'Arn'] };
    const subscription = (redrive?: unknown): Resource => ({
      Type: 'AWS::SNS::Subscription',
      Properties: {
        Protocol: 'lambda',
        Endpoint: { 'Fn::GetAtt': ['F', 'Arn'] },
        ...(redrive === undefined ? {} : { RedrivePolicy: redrive }),
      },
    });
    const rule = (deadLetter?: unknown): Resource => ({
      Type: 'AWS::Events::Rule',
      Properties: {
        Targets: [
          {
            Arn: { 'Fn::GetAtt': ['F', 'Arn'] },
            ...(deadLetter === undefined ? {} : { DeadLetterConfig: deadLetter }),
          },
        ],
      },
    });
    const check = (resources: Template['Resources']) =>
      findAsyncInvocationsWithoutFailureDestination({ Resources: { F: fn, C: config(queue), ...resources } });
    expect(check({ S: subscription(), E: rule() })).toHaveLength(2);
    expect(check({ S: subscription({ deadLetterTargetArn: queue }), E: rule({ Arn: queue }) })).toEqual([]);
    // A subscription of something else (e-mail) or a rule targeting a queue invokes no function.
    const email: Resource = {
      Type: 'AWS::SNS::Subscription',
      Properties: { Protocol: 'email', Endpoint: 'a@b.c' },
    };
    const toQueue: Resource = { Type: 'AWS::Events::Rule', Properties: { Targets: [{ Arn: queue }] } };
    expect(
      findAsyncInvocationsWithoutFailureDestination({
        Resources: { F: fn, M: email, R: toQueue, Q: { Type: 'AWS::SQS::Queue' } },
      }),
    ).toEqual([]);
  });

  it('accepts an on-failure destination, and ignores synchronous callers (Firehose, event source mappings)', () => {
    const queue = { 'Fn::GetAtt': ['Q', 'Arn'] };
    expect(
      findAsyncInvocationsWithoutFailureDestination({
        Resources: { F: fn, P: permission('events.amazonaws.com'), C: config(queue) },
      }),
    ).toEqual([]);
    expect(
      findAsyncInvocationsWithoutFailureDestination({
        Resources: { F: fn, P: permission('firehose.amazonaws.com') },
      }),
    ).toEqual([]);
  });
});

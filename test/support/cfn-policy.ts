/**
 * Checks over a packaged CloudFormation template: least privilege for every IAM policy, and encryption at rest
 * for every data store the stack creates. Pure functions, so the checks themselves are unit-tested.
 */

type Json = Record<string, unknown>;
export interface Template {
  Resources: Record<string, { Type: string; Properties?: Json; Condition?: string }>;
}

/**
 * Actions whose IAM resource type is `*` only (the service offers no resource-level permission for them), per the
 * AWS Service Authorization Reference. Anything else must name ARNs.
 */
export const ACTIONS_THAT_ONLY_ACCEPT_STAR = new Set([
  'cloudwatch:GetMetricData',
  'cloudwatch:PutMetricData',
  'cloudwatch:ListMetrics',
  'cloudwatch:GetMetricStatistics',
  'kinesis:ListStreams',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
]);

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

interface Statement {
  Effect?: string;
  Condition?: unknown;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
}

function statementsOf(resource: {
  Type: string;
  Properties?: Json;
}): Array<{ policy: string; statement: Statement }> {
  const out: Array<{ policy: string; statement: Statement }> = [];
  const props = resource.Properties ?? {};
  const documents: Array<[string, Json | undefined]> = [];
  if (resource.Type === 'AWS::IAM::Role') {
    for (const policy of asArray(props.Policies as Json[] | undefined)) {
      documents.push([String(policy.PolicyName), policy.PolicyDocument as Json]);
    }
  } else if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
    documents.push([String(props.PolicyName ?? 'managed'), props.PolicyDocument as Json]);
  }
  for (const [policy, document] of documents) {
    for (const entry of asArray(document?.Statement as Statement | Statement[] | undefined)) {
      // A conditional statement (Fn::If [condition, statement, AWS::NoValue]) is checked in both branches.
      const branches = (entry as { 'Fn::If'?: unknown[] })['Fn::If']?.slice(1) ?? [entry];
      for (const statement of branches as Statement[]) {
        if (statement && typeof statement === 'object' && 'Effect' in statement)
          out.push({ policy, statement });
      }
    }
  }
  return out;
}

/** Every least-privilege violation, as readable sentences (empty = clean). */
export function findIamViolations(template: Template): string[] {
  const problems: string[] = [];
  for (const [name, resource] of Object.entries(template.Resources)) {
    if (
      resource.Type === 'AWS::IAM::Role' &&
      asArray(resource.Properties?.ManagedPolicyArns as unknown[]).length > 0
    ) {
      problems.push(
        `${name}: attaches managed policies (their scope is not ours to check); use inline statements`,
      );
    }
    for (const { policy, statement } of statementsOf(resource)) {
      if (statement.Effect !== 'Allow') continue;
      const where = `${name}/${policy}`;
      if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
        problems.push(`${where}: Allow with NotAction/NotResource grants everything else`);
      }
      const actions = asArray(statement.Action);
      for (const action of actions) {
        if (action.includes('*')) problems.push(`${where}: wildcard action ${action}`);
      }
      const resources = asArray(statement.Resource);
      if (resources.length === 0) problems.push(`${where}: statement without Resource`);
      // Every key / stream / table / delivery stream / alarm / function in the account, with nothing narrowing it.
      const accountWide = resources.filter((r) =>
        /:(key|stream|table|deliverystream)\/\*(['"\]]|$)|:(alarm|function|topic):\*(['"\]]|$)/.test(
          JSON.stringify(r),
        ),
      );
      if (accountWide.length > 0 && statement.Condition === undefined) {
        problems.push(
          `${where}: account-wide resource ${JSON.stringify(accountWide[0])} without a Condition`,
        );
      }
      if (resources.some((r) => r === '*')) {
        const broad = actions.filter((action) => !ACTIONS_THAT_ONLY_ACCEPT_STAR.has(action));
        if (broad.length > 0) problems.push(`${where}: Resource "*" for ${broad.join(', ')}`);
      }
    }
  }
  return problems;
}

/** Data stores the stack creates without encryption at rest. */
export function findUnencryptedResources(template: Template): string[] {
  const problems: string[] = [];
  for (const [name, { Type, Properties: p = {} }] of Object.entries(template.Resources)) {
    switch (Type) {
      case 'AWS::Kinesis::Stream':
        if (!(p.StreamEncryption as Json | undefined)?.EncryptionType)
          problems.push(`${name}: Kinesis stream without StreamEncryption`);
        break;
      case 'AWS::S3::Bucket':
        if (!p.BucketEncryption) problems.push(`${name}: bucket without BucketEncryption`);
        break;
      case 'AWS::SQS::Queue':
        if (p.SqsManagedSseEnabled !== true && !p.KmsMasterKeyId) problems.push(`${name}: queue without SSE`);
        break;
      case 'AWS::SNS::Topic':
        if (!p.KmsMasterKeyId) problems.push(`${name}: topic without KmsMasterKeyId`);
        break;
      case 'AWS::DynamoDB::Table':
        if ((p.SSESpecification as Json | undefined)?.SSEEnabled !== true)
          problems.push(`${name}: table without SSESpecification`);
        break;
      case 'AWS::KinesisFirehose::DeliveryStream':
        // With a Kinesis stream as source, data at rest is the source stream's (checked above) and Firehose
        // rejects DeliveryStreamEncryptionConfigurationInput.
        if (
          !p.DeliveryStreamEncryptionConfigurationInput &&
          p.DeliveryStreamType !== 'KinesisStreamAsSource'
        ) {
          problems.push(`${name}: delivery stream without DeliveryStreamEncryptionConfigurationInput`);
        }
        break;
    }
  }
  return problems;
}

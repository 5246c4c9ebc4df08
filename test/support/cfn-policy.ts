/**
 * Checks over a packaged CloudFormation template: least privilege for every IAM policy, encryption at rest for
 * every data store the stack creates, and the guards every bucket, delivery stream and asynchronously invoked
 * function must have. Pure functions, so the checks themselves are unit-tested.
 */

type Json = Record<string, unknown>;
export interface Template {
  Resources: Record<string, { Type: string; Properties?: Json; Condition?: string; Metadata?: Json }>;
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
      const objectWrites = actions.filter((action) => OBJECT_WRITE_ACTIONS.has(action));
      if (objectWrites.length > 0) {
        const everyKey = resources.flatMap(arnTexts).find(isEveryKeyOfABucket);
        if (everyKey !== undefined) {
          problems.push(
            `${where}: ${objectWrites.join(', ')} on every key of a bucket (${everyKey}); scope it to the prefixes written`,
          );
        }
      }
      const alarmWrites = actions.filter((action) => ALARM_WRITE_ACTIONS.has(action));
      if (alarmWrites.length > 0 && !limitsAlarmActions(statement.Condition)) {
        problems.push(
          `${where}: ${alarmWrites.join(', ')} without a ForAllValues (or Null) condition on cloudwatch:AlarmActions: the alarms could act anywhere`,
        );
      }
    }
  }
  return problems;
}

/** Actions that write or remove an object: never on every key of a bucket (`<bucket>/*`), always on prefixes. */
export const OBJECT_WRITE_ACTIONS = new Set([
  's3:PutObject',
  's3:PutObjectAcl',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
]);

/** Actions that set what an alarm does (the `cloudwatch:AlarmActions` condition key applies to them). */
const ALARM_WRITE_ACTIONS = new Set(['cloudwatch:PutMetricAlarm', 'cloudwatch:PutCompositeAlarm']);

/**
 * The texts an ARN expression can take: `Ref` and `Fn::GetAtt` become `${Name}` / `${Name.Attr}` (as in Fn::Sub),
 * Fn::Sub has its variables substituted, Fn::Join is joined, and both branches of Fn::If are listed.
 */
export function arnTexts(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(arnTexts);
  if (value === null || typeof value !== 'object') return [];
  const expression = value as Json;
  if ('Ref' in expression) return [`\${${String(expression.Ref)}}`];
  if ('Fn::GetAtt' in expression) {
    const target = expression['Fn::GetAtt'];
    return [`\${${Array.isArray(target) ? target.join('.') : String(target)}}`];
  }
  if ('Fn::If' in expression) return (expression['Fn::If'] as unknown[]).slice(1).flatMap(arnTexts);
  if ('Fn::Join' in expression) {
    const [separator, parts] = expression['Fn::Join'] as [string, unknown[]];
    return parts.reduce<string[]>(
      (joined, part, index) =>
        joined.flatMap((head) => arnTexts(part).map((alt) => (index === 0 ? alt : head + separator + alt))),
      [''],
    );
  }
  if ('Fn::Sub' in expression) {
    const sub = expression['Fn::Sub'];
    const [text, variables] = Array.isArray(sub) ? (sub as [string, Json]) : [String(sub), {}];
    let texts = [text];
    for (const [name, variable] of Object.entries(variables ?? {})) {
      const alternatives = arnTexts(variable);
      texts = texts.flatMap((t) => alternatives.map((alt) => t.split(`\${${name}}`).join(alt)));
    }
    return texts;
  }
  return [JSON.stringify(expression)];
}

/** `arn:...:s3:::bucket/*`, `${Bucket.Arn}/*`, `arn:...:s3:::*`: every key, no prefix. */
function isEveryKeyOfABucket(text: string): boolean {
  const match = /(?::s3:::([^/]*)|\.Arn\})(?:\/(.*))?$/.exec(text);
  if (!match) return false;
  const [, bucket, key] = match;
  if (key === undefined) return (bucket ?? '').includes('*');
  return key.startsWith('*');
}

/**
 * A condition that bounds the alarm's actions: every branch (Fn::If) names cloudwatch:AlarmActions, only under
 * ForAllValues:* (each action must be in the list; ForAnyValue would let one listed action bring others along)
 * or Null = true (no actions at all).
 */
function limitsAlarmActions(condition: unknown): boolean {
  if (condition === undefined || condition === null || typeof condition !== 'object') return false;
  const branches = (condition as { 'Fn::If'?: unknown[] })['Fn::If']?.slice(1) ?? [condition];
  return branches.every((branch) => {
    if (branch === null || typeof branch !== 'object') return false;
    const uses = Object.entries(branch as Json).filter(
      ([, block]) => block !== null && typeof block === 'object' && 'cloudwatch:AlarmActions' in block,
    );
    return (
      uses.length > 0 &&
      uses.every(
        ([operator, block]) =>
          operator.startsWith('ForAllValues:') ||
          (operator === 'Null' && String((block as Json)['cloudwatch:AlarmActions']) === 'true'),
      )
    );
  });
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

const PUBLIC_ACCESS_FLAGS = [
  'BlockPublicAcls',
  'BlockPublicPolicy',
  'IgnorePublicAcls',
  'RestrictPublicBuckets',
];

/** `${Name}` or `${Name.Arn}` among the texts: the expression points at that resource. */
const pointsAt = (texts: string[], name: string) =>
  texts.some((text) => text.includes(`\${${name}}`) || text.includes(`\${${name}.Arn}`));

/** Logical ids of the buckets that a role Lambda assumes may write objects into. */
function bucketsWrittenByFunctions(template: Template): Set<string> {
  const buckets = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::S3::Bucket')
    .map(([name]) => name);
  const written = new Set<string>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    if (!JSON.stringify(resource.Properties?.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'))
      continue;
    for (const { statement } of statementsOf(resource)) {
      if (statement.Effect !== 'Allow') continue;
      if (!asArray(statement.Action).some((action) => OBJECT_WRITE_ACTIONS.has(action))) continue;
      const texts = asArray(statement.Resource).flatMap(arnTexts);
      for (const bucket of buckets) if (pointsAt(texts, bucket)) written.add(bucket);
    }
  }
  return written;
}

/** A statement denying every S3 action without TLS, to everyone, on the bucket and on its objects. */
function deniesWithoutTls(document: unknown, bucket: string): boolean {
  const statements = asArray((document as Json | undefined)?.Statement as Json | Json[] | undefined);
  return statements.some((statement) => {
    const principal = statement.Principal;
    const everyone = principal === '*' || (principal as Json | undefined)?.AWS === '*';
    const condition = (statement.Condition as Json | undefined)?.Bool as Json | undefined;
    const texts = asArray(statement.Resource).flatMap(arnTexts);
    const mine = texts.filter((text) => pointsAt([text], bucket));
    return (
      statement.Effect === 'Deny' &&
      everyone &&
      asArray(statement.Action as string | string[]).includes('s3:*') &&
      String(condition?.['aws:SecureTransport']) === 'false' &&
      mine.some((text) => text.endsWith('/*')) &&
      mine.some((text) => !text.includes('/'))
    );
  });
}

/**
 * Every bucket in the template: encrypted, public access blocked, a bucket policy (created with the bucket: same
 * Condition) denying requests without TLS, a lifecycle rule for the whole bucket that aborts incomplete multipart
 * uploads, and versioning with noncurrent versions expiring. A bucket whose keys are never written twice may go
 * without versioning if its Metadata.KeysNeverOverwritten says why and no function's role may write into it
 * (functions here derive keys from record coordinates, so a re-delivered batch rewrites them).
 */
export function findBucketProblems(template: Template): string[] {
  const problems: string[] = [];
  const policies = Object.values(template.Resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
  const writtenByFunctions = bucketsWrittenByFunctions(template);
  for (const [name, bucket] of Object.entries(template.Resources)) {
    if (bucket.Type !== 'AWS::S3::Bucket') continue;
    const p = bucket.Properties ?? {};
    if (!p.BucketEncryption) problems.push(`${name}: bucket without BucketEncryption`);
    const block = p.PublicAccessBlockConfiguration as Json | undefined;
    const open = PUBLIC_ACCESS_FLAGS.filter((flag) => block?.[flag] !== true);
    if (open.length > 0) problems.push(`${name}: PublicAccessBlockConfiguration without ${open.join(', ')}`);

    const tls = policies.filter(
      (policy) =>
        JSON.stringify(policy.Properties?.Bucket) === JSON.stringify({ Ref: name }) &&
        deniesWithoutTls(policy.Properties?.PolicyDocument, name),
    );
    if (tls.length === 0) {
      problems.push(
        `${name}: no bucket policy denying s3:* without TLS (aws:SecureTransport false) on the bucket and its objects`,
      );
    } else if (!tls.some((policy) => policy.Condition === bucket.Condition)) {
      problems.push(
        `${name}: its TLS-only bucket policy is not created with it (Condition ${bucket.Condition})`,
      );
    }

    const rules = asArray((p.LifecycleConfiguration as Json | undefined)?.Rules as Json[] | undefined);
    const wholeBucket = rules.filter(
      (rule) =>
        rule.Status === 'Enabled' &&
        !rule.Prefix &&
        !rule.TagFilters &&
        rule.ObjectSizeGreaterThan === undefined &&
        rule.ObjectSizeLessThan === undefined,
    );
    if (
      !wholeBucket.some(
        (rule) => (rule.AbortIncompleteMultipartUpload as Json | undefined)?.DaysAfterInitiation,
      )
    ) {
      problems.push(`${name}: no lifecycle rule (whole bucket) with AbortIncompleteMultipartUpload`);
    }
    if ((p.VersioningConfiguration as Json | undefined)?.Status === 'Enabled') {
      const expires = wholeBucket.some(
        (rule) =>
          (rule.NoncurrentVersionExpiration as Json | undefined)?.NoncurrentDays ||
          rule.NoncurrentVersionExpirationInDays,
      );
      if (!expires)
        problems.push(`${name}: versioned, but no lifecycle rule (whole bucket) expires noncurrent versions`);
    } else {
      const reason = bucket.Metadata?.KeysNeverOverwritten;
      if (typeof reason !== 'string' || reason.trim() === '') {
        problems.push(
          `${name}: not versioned: set VersioningConfiguration, or say in Metadata.KeysNeverOverwritten why no key is written twice`,
        );
      } else if (writtenByFunctions.has(name)) {
        problems.push(`${name}: not versioned, yet a function's role may write objects into it`);
      }
    }
  }
  return problems;
}

/** The destination configurations of a delivery stream, and the S3 backup/intermediate bucket configurations in them. */
function destinationsOf(properties: Json): Array<[string, Json]> {
  const out: Array<[string, Json]> = [];
  for (const [key, value] of Object.entries(properties)) {
    if (!key.endsWith('DestinationConfiguration') || value === null || typeof value !== 'object') continue;
    out.push([key, value as Json]);
    for (const nested of ['S3BackupConfiguration', 'S3Configuration']) {
      const inner = (value as Json)[nested];
      if (inner !== null && typeof inner === 'object') out.push([`${key}.${nested}`, inner as Json]);
    }
  }
  return out;
}

/**
 * Every delivery stream logs delivery (and transformation) errors to CloudWatch Logs: each destination has
 * CloudWatchLoggingOptions enabled with a log group and stream, and its role may PutLogEvents in that group.
 */
export function findDeliveryStreamsWithoutLogging(template: Template): string[] {
  const problems: string[] = [];
  for (const [name, stream] of Object.entries(template.Resources)) {
    if (stream.Type !== 'AWS::KinesisFirehose::DeliveryStream') continue;
    const destinations = destinationsOf(stream.Properties ?? {});
    if (destinations.length === 0) problems.push(`${name}: no destination configuration found`);
    for (const [where, destination] of destinations) {
      const logging = destination.CloudWatchLoggingOptions as Json | undefined;
      if (logging?.Enabled !== true || !logging.LogGroupName || !logging.LogStreamName) {
        problems.push(
          `${name}.${where}: CloudWatchLoggingOptions not enabled with LogGroupName and LogStreamName`,
        );
        continue;
      }
      const roleArn = (destination.RoleARN ??
        (stream.Properties?.ExtendedS3DestinationConfiguration as Json)?.RoleARN) as Json | undefined;
      const roleName = (roleArn?.['Fn::GetAtt'] as string[] | undefined)?.[0];
      const role = roleName === undefined ? undefined : template.Resources[roleName];
      if (!role) continue; // a role from outside the template: not ours to check
      const group = arnTexts(logging.LogGroupName)[0]!;
      const allowed = statementsOf(role).some(
        ({ statement }) =>
          statement.Effect === 'Allow' &&
          asArray(statement.Action).includes('logs:PutLogEvents') &&
          asArray(statement.Resource)
            .flatMap(arnTexts)
            .some((text) => text.includes(`log-group:${group}:`)),
      );
      if (!allowed) problems.push(`${name}.${where}: ${roleName} may not logs:PutLogEvents in ${group}`);
    }
  }
  return problems;
}

/** Services that invoke a function asynchronously (Lambda queues the event; a failure is retried, then dropped). */
export const ASYNC_INVOKERS = new Set([
  'sns.amazonaws.com',
  'events.amazonaws.com',
  's3.amazonaws.com',
  'logs.amazonaws.com',
  'ses.amazonaws.com',
  'iot.amazonaws.com',
  'codecommit.amazonaws.com',
  'config.amazonaws.com',
  'cloudformation.amazonaws.com',
]);

/** The logical id of the function an expression names (Ref, GetAtt ...Arn), if it is one of the template's. */
function functionIn(template: Template, value: unknown): string | undefined {
  const expression = value as Json | undefined;
  const name =
    (expression?.Ref as string | undefined) ?? (expression?.['Fn::GetAtt'] as string[] | undefined)?.[0];
  return name !== undefined && template.Resources[name]?.Type === 'AWS::Lambda::Function' ? name : undefined;
}

/**
 * Every function invoked asynchronously (a permission for SNS, EventBridge, S3, CloudWatch Logs...; an SNS
 * subscription; an EventBridge rule target) has an AWS::Lambda::EventInvokeConfig with an on-failure
 * destination: an event that fails all its attempts, or waits too long, is kept instead of dropped silently.
 * The deliveries to it are kept too: an SNS subscription has a RedrivePolicy, an EventBridge target a
 * DeadLetterConfig (what they could not hand to Lambda at all).
 */
export function findAsyncInvocationsWithoutFailureDestination(template: Template): string[] {
  const problems: string[] = [];
  const invokedBy = new Map<string, Set<string>>();
  const note = (fn: string | undefined, by: string) => {
    if (fn !== undefined) invokedBy.set(fn, (invokedBy.get(fn) ?? new Set()).add(by));
  };
  for (const [name, resource] of Object.entries(template.Resources)) {
    const p = resource.Properties ?? {};
    if (resource.Type === 'AWS::Lambda::Permission' && ASYNC_INVOKERS.has(String(p.Principal))) {
      note(functionIn(template, p.FunctionName), name);
    } else if (resource.Type === 'AWS::SNS::Subscription' && p.Protocol === 'lambda') {
      const fn = functionIn(template, p.Endpoint);
      note(fn, name);
      if (fn !== undefined && !(p.RedrivePolicy as Json | undefined)?.deadLetterTargetArn) {
        problems.push(`${name}: SNS subscription of ${fn} without a RedrivePolicy (deadLetterTargetArn)`);
      }
    } else if (resource.Type === 'AWS::Events::Rule') {
      for (const target of asArray(p.Targets as Json[] | undefined)) {
        const fn = functionIn(template, target.Arn);
        note(fn, name);
        if (fn !== undefined && !(target.DeadLetterConfig as Json | undefined)?.Arn) {
          problems.push(`${name}: EventBridge target ${fn} without a DeadLetterConfig`);
        }
      }
    }
  }
  const withDestination = new Set(
    Object.values(template.Resources)
      .filter(
        (resource) =>
          resource.Type === 'AWS::Lambda::EventInvokeConfig' &&
          ((resource.Properties?.DestinationConfig as Json | undefined)?.OnFailure as Json | undefined)
            ?.Destination,
      )
      .map((resource) => functionIn(template, resource.Properties?.FunctionName)),
  );
  for (const [fn, sources] of invokedBy) {
    if (withDestination.has(fn)) continue;
    problems.push(
      `${fn}: invoked asynchronously (${[...sources].join(', ')}) without an on-failure destination (EventInvokeConfig DestinationConfig.OnFailure)`,
    );
  }
  return problems;
}

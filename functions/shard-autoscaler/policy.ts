/**
 * The scaling policy of one stream: every knob of the alarms and of the decision, with defaults in one place.
 * Pure (no AWS SDK): serverless.yml's deploy helpers (deploy/*.cjs) load this same file, so the alarms
 * CloudFormation creates and the alarms the function rewrites after scaling come from one definition.
 *
 * @example
 * ```ts
 * const policy = resolvePolicy({ streamName: 'orders', maxShards: 32 });
 * policy.scaleUpThreshold; // 0.75
 * ```
 */

/** Kinesis and CloudWatch limits the policy is validated against. */
export const LIMITS = {
  /** UpdateShardCount: at most 10 scaling operations per rolling 24 hours per stream. */
  operationsPer24h: 10,
  /** UpdateShardCount: a stream cannot be scaled above 10,000 shards (default per-stream limit). */
  maxShardsPerStream: 10_000,
  /** PutMetricAlarm: EvaluationPeriods x Period cannot exceed one day. */
  maxEvaluationSeconds: 86_400,
  /** Kinesis stream-level metrics are published once a minute: shorter periods would only see gaps. */
  metricResolutionSeconds: 60,
  /** A Lambda event source mapping's ParallelizationFactor: 1 to 10 concurrent batches per shard. */
  maxParallelizationFactor: 10,
} as const;

export interface ScalingPolicy {
  /** The stream's name (also the StreamName dimension of its metrics). */
  streamName: string;
  minShards: number;
  maxShards: number;
  /** Shard count written into the alarms CloudFormation creates; the function keeps it current afterwards. */
  initialShardCount: number;
  /** The utilisation a scaling operation aims at (capacity = peak demand / targetUtilisation). */
  targetUtilisation: number;

  scaleUpThreshold: number;
  scaleUpPeriodSeconds: number;
  scaleUpEvaluationPeriods: number;
  scaleUpDatapoints: number;

  scaleDownThreshold: number;
  scaleDownPeriodSeconds: number;
  scaleDownEvaluationPeriods: number;
  scaleDownDatapoints: number;
  /** Scale-downs are blocked while GetRecords.IteratorAgeMilliseconds exceeds this (0 disables the block). */
  scaleDownMaxIteratorAgeSeconds: number;

  /** No scale-up sooner than this after any scaling operation. */
  scaleUpCooldownSeconds: number;
  /** No scale-down sooner than this after any scaling operation. */
  scaleDownCooldownSeconds: number;

  /** Our own budget per rolling 24 h (AWS allows 10). */
  maxOperationsPer24h: number;
  /** Operations of the budget that scale-downs never use, so a later surge can still be met. */
  reserveForScaleUp: number;
  /** Also count GetRecords.Bytes against the 2 MiB/s per-shard read limit (classic consumers). */
  includeReads: boolean;

  /**
   * Lambda functions (names, or unqualified ARNs) consuming the stream: after each scaling their reserved
   * concurrency is set to the new shard count x `consumerConcurrencyPerShard` (PutFunctionConcurrency), as the
   * AWS sample does. Empty: the feature is off. A function may be listed for one stream only.
   */
  consumerFunctions: string[];
  /** Reserved concurrency per shard for each consumer: its event source mapping's ParallelizationFactor. */
  consumerConcurrencyPerShard: number;
}

export type PolicyInput = Partial<ScalingPolicy> & { streamName: string };

export const DEFAULT_POLICY: Omit<ScalingPolicy, 'streamName'> = {
  minShards: 1,
  maxShards: 64,
  initialShardCount: 1,
  targetUtilisation: 0.5,
  scaleUpThreshold: 0.75,
  scaleUpPeriodSeconds: 60,
  scaleUpEvaluationPeriods: 2,
  scaleUpDatapoints: 2,
  scaleDownThreshold: 0.25,
  scaleDownPeriodSeconds: 300,
  scaleDownEvaluationPeriods: 12,
  scaleDownDatapoints: 12,
  scaleDownMaxIteratorAgeSeconds: 600,
  scaleUpCooldownSeconds: 60,
  scaleDownCooldownSeconds: 900,
  maxOperationsPer24h: LIMITS.operationsPer24h,
  reserveForScaleUp: 2,
  includeReads: false,
  consumerFunctions: [],
  consumerConcurrencyPerShard: 1,
};

/** A policy value is out of range; `field` names it, the message says what it must be. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly streamName: string,
    readonly field: string,
    expected: string,
    got: unknown,
  ) {
    super(`Stream ${streamName}: ${field} must be ${expected} (got ${JSON.stringify(got)})`);
  }
}

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
/** PutFunctionConcurrency takes a function name or its unqualified ARN (reserved concurrency is per function). */
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[a-zA-Z0-9_-]{1,64}$/;

/** The function name of a consumer entry (a name, or the last part of its ARN). */
export const consumerFunctionName = (entry: string) => entry.slice(entry.lastIndexOf(':') + 1);

const KNOWN_FIELDS = new Set<string>(['streamName', ...Object.keys(DEFAULT_POLICY)]);

/** Defaults merged with the given fields, validated. Unknown fields are rejected (typos would be silent). */
export function resolvePolicy(input: PolicyInput, defaults: Partial<ScalingPolicy> = {}): ScalingPolicy {
  const name = String(input.streamName);
  for (const key of [...Object.keys(defaults), ...Object.keys(input)]) {
    if (!KNOWN_FIELDS.has(key))
      throw new PolicyError(name, key, `one of ${[...KNOWN_FIELDS].join(', ')}`, key);
  }
  const policy = { ...DEFAULT_POLICY, ...defaults, ...input } as ScalingPolicy;
  const fail = (field: keyof ScalingPolicy, expected: string): never => {
    throw new PolicyError(name, field, expected, policy[field]);
  };
  const int = (field: keyof ScalingPolicy, min: number, max: number) => {
    const value = policy[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(field, `an integer from ${min} to ${max}`);
    }
  };
  const ratio = (field: keyof ScalingPolicy) => {
    const value = policy[field];
    if (typeof value !== 'number' || !(value > 0 && value <= 1)) fail(field, 'a number > 0 and <= 1');
  };
  if (typeof policy.streamName !== 'string' || !STREAM_NAME.test(policy.streamName)) {
    fail('streamName', 'a Kinesis stream name ([a-zA-Z0-9_.-], 1-128 characters)');
  }
  int('minShards', 1, LIMITS.maxShardsPerStream);
  int('maxShards', policy.minShards, LIMITS.maxShardsPerStream);
  int('initialShardCount', 1, LIMITS.maxShardsPerStream);
  ratio('targetUtilisation');
  ratio('scaleUpThreshold');
  ratio('scaleDownThreshold');
  // The gap between the thresholds and the target is the hysteresis: a scale-up lands at the target, which must
  // not already be "too low", and a scale-down lands at it, which must not already be "too high".
  if (!(policy.scaleDownThreshold < policy.targetUtilisation))
    fail('scaleDownThreshold', '< targetUtilisation');
  if (!(policy.targetUtilisation < policy.scaleUpThreshold)) fail('scaleUpThreshold', '> targetUtilisation');
  for (const direction of ['Up', 'Down'] as const) {
    const period = `scale${direction}PeriodSeconds` as const;
    int(period, LIMITS.metricResolutionSeconds, LIMITS.maxEvaluationSeconds);
    if (policy[period] % LIMITS.metricResolutionSeconds !== 0) fail(period, 'a multiple of 60');
    int(`scale${direction}EvaluationPeriods`, 1, Math.floor(LIMITS.maxEvaluationSeconds / policy[period]));
    int(`scale${direction}Datapoints`, 1, policy[`scale${direction}EvaluationPeriods`]);
  }
  int('scaleDownMaxIteratorAgeSeconds', 0, 7 * 86_400);
  int('scaleUpCooldownSeconds', 0, 86_400);
  int('scaleDownCooldownSeconds', 0, 86_400);
  int('maxOperationsPer24h', 1, LIMITS.operationsPer24h);
  int('reserveForScaleUp', 0, policy.maxOperationsPer24h - 1);
  if (typeof policy.includeReads !== 'boolean') fail('includeReads', 'true or false');
  const consumers = policy.consumerFunctions as unknown;
  const functionRule =
    'a list of Lambda function names (1-64 characters [a-zA-Z0-9_-]) or unqualified function ARNs, each once';
  if (
    !Array.isArray(consumers) ||
    consumers.some(
      (entry) => typeof entry !== 'string' || !(FUNCTION_NAME.test(entry) || FUNCTION_ARN.test(entry)),
    ) ||
    new Set(consumers.map((entry: string) => consumerFunctionName(entry))).size !== consumers.length
  ) {
    fail('consumerFunctions', functionRule);
  }
  int('consumerConcurrencyPerShard', 1, LIMITS.maxParallelizationFactor);
  // A copy: DEFAULT_POLICY's list is shared.
  return { ...policy, consumerFunctions: [...policy.consumerFunctions] };
}

/**
 * Rules across the policies of one deployment: each stream once, and each consumer function for one stream only
 * (its reserved concurrency is one number: with two streams it would follow whichever scaled last).
 */
export function checkPolicySet(policies: ScalingPolicy[]): void {
  const streams = new Set<string>();
  const consumers = new Map<string, string>();
  for (const policy of policies) {
    if (streams.has(policy.streamName)) throw new Error(`stream ${policy.streamName} is listed twice`);
    streams.add(policy.streamName);
    for (const entry of policy.consumerFunctions) {
      const other = consumers.get(consumerFunctionName(entry));
      if (other !== undefined) {
        throw new PolicyError(
          policy.streamName,
          'consumerFunctions',
          `functions no other stream lists (${entry} is also a consumer of ${other}: reserved concurrency is per function)`,
          entry,
        );
      }
      consumers.set(consumerFunctionName(entry), policy.streamName);
    }
  }
}

/**
 * Parses AUTOSCALED_STREAMS: either a comma-separated list of stream names (all with the defaults) or a JSON
 * array of policy inputs (`[{"streamName":"orders","maxShards":32}]`).
 */
export function parseStreamList(text: string, defaults: Partial<ScalingPolicy> = {}): ScalingPolicy[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const inputs: unknown = trimmed.startsWith('[')
    ? JSON.parse(trimmed)
    : trimmed
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '')
        .map((streamName) => ({ streamName }));
  if (!Array.isArray(inputs))
    throw new Error('expected a JSON array or a comma-separated list of stream names');
  const policies = inputs.map((input) => {
    if (typeof input !== 'object' || input === null) throw new Error('each entry must be an object');
    return resolvePolicy(input as PolicyInput, defaults);
  });
  checkPolicySet(policies);
  return policies;
}

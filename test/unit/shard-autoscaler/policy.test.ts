/**
 * The scaling policy's validation (functions/shard-autoscaler/policy.ts): every bound is accepted at its edge and
 * refused one step past it, and the error names the stream, the field, the rule and the value given.
 */
import { describe, expect, it } from 'vitest';
import {
  checkPolicySet,
  consumerFunctionName,
  DEFAULT_POLICY,
  parseStreamList,
  type PolicyInput,
  PolicyError,
  resolvePolicy,
  type ScalingPolicy,
} from '../../../functions/shard-autoscaler/policy';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:orders-consumer';

/** The PolicyError resolvePolicy throws for these fields of stream "s". */
function refusal(fields: Partial<ScalingPolicy> | Record<string, unknown>, defaults = {}): PolicyError {
  try {
    resolvePolicy({ streamName: 's', ...fields } as PolicyInput, defaults);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error(`accepted ${JSON.stringify(fields)}`);
}
const accepts = (fields: Partial<ScalingPolicy>) => resolvePolicy({ streamName: 's', ...fields });

describe('resolvePolicy: bounds', () => {
  it('says which stream, which field, what it must be and what it got', () => {
    const error = refusal({ minShards: 0 });
    expect(error.name).toBe('PolicyError');
    expect(error.streamName).toBe('s');
    expect(error.field).toBe('minShards');
    expect(error.message).toBe('Stream s: minShards must be an integer from 1 to 10000 (got 0)');
    expect(refusal({ includeReads: 'yes' } as never).message).toBe(
      'Stream s: includeReads must be true or false (got "yes")',
    );
  });

  it('takes integers within each range, edges included, and nothing else', () => {
    const ranges: Array<[keyof ScalingPolicy, number, number, Partial<ScalingPolicy>?]> = [
      ['minShards', 1, 10_000, { maxShards: 10_000 }],
      ['maxShards', 3, 10_000, { minShards: 3 }],
      ['initialShardCount', 1, 10_000],
      ['scaleDownMaxIteratorAgeSeconds', 0, 604_800],
      ['scaleUpCooldownSeconds', 0, 86_400],
      ['scaleDownCooldownSeconds', 0, 86_400],
      ['maxOperationsPer24h', 1, 10, { reserveForScaleUp: 0 }],
      ['reserveForScaleUp', 0, 5, { maxOperationsPer24h: 6 }],
      ['consumerConcurrencyPerShard', 1, 10],
      ['scaleUpEvaluationPeriods', 1, 1440, { scaleUpDatapoints: 1 }],
      ['scaleDownDatapoints', 1, 12],
    ];
    for (const [field, min, max, context = {}] of ranges) {
      expect(accepts({ ...context, [field]: min })[field]).toBe(min);
      expect(accepts({ ...context, [field]: max })[field]).toBe(max);
      for (const bad of [min - 1, max + 1, min + 0.5, String(min)]) {
        const error = refusal({ ...context, [field]: bad });
        expect(error.field).toBe(field);
        expect(error.message).toContain(`${field} must be an integer from ${min} to ${max} (got `);
      }
    }
  });

  it('takes ratios in (0, 1] with the scale-down threshold below the target and the scale-up one above it', () => {
    expect(accepts({ scaleUpThreshold: 1 }).scaleUpThreshold).toBe(1);
    expect(accepts({ scaleDownThreshold: 0.01, targetUtilisation: 0.02 }).targetUtilisation).toBe(0.02);
    for (const [field, value] of [
      ['targetUtilisation', 0],
      ['scaleUpThreshold', 1.01],
      ['scaleDownThreshold', 0],
      ['scaleDownThreshold', -0.1],
      ['scaleUpThreshold', '0.8'],
    ] as const) {
      expect(refusal({ [field]: value }).message).toBe(
        `Stream s: ${field} must be a number > 0 and <= 1 (got ${JSON.stringify(value)})`,
      );
    }
    expect(refusal({ scaleDownThreshold: 0.5 }).message).toBe(
      'Stream s: scaleDownThreshold must be < targetUtilisation (got 0.5)',
    );
    expect(refusal({ scaleUpThreshold: 0.5 }).message).toBe(
      'Stream s: scaleUpThreshold must be > targetUtilisation (got 0.5)',
    );
  });

  it('takes periods of whole minutes up to a day, and as many of them as fit in a day', () => {
    for (const direction of ['Up', 'Down'] as const) {
      const period = `scale${direction}PeriodSeconds` as const;
      const periods = `scale${direction}EvaluationPeriods` as const;
      const datapoints = `scale${direction}Datapoints` as const;
      const day = { [period]: 86_400, [periods]: 1, [datapoints]: 1 };
      expect(accepts(day)[period]).toBe(86_400);
      expect(accepts({ [period]: 60, [periods]: 1, [datapoints]: 1 })[period]).toBe(60);
      expect(refusal({ ...day, [period]: 86_460 }).message).toContain(
        `${period} must be an integer from 60 to 86400`,
      );
      expect(refusal({ ...day, [period]: 0 }).field).toBe(period);
      expect(refusal({ ...day, [period]: 150 }).message).toBe(
        `Stream s: ${period} must be a multiple of 60 (got 150)`,
      );
      expect(accepts({ [period]: 3600, [periods]: 24, [datapoints]: 24 })[periods]).toBe(24);
      expect(refusal({ [period]: 3600, [periods]: 25, [datapoints]: 1 }).message).toContain(
        `${periods} must be an integer from 1 to 24 `,
      );
      expect(refusal({ [period]: 3600, [periods]: 3, [datapoints]: 4 }).message).toContain(
        `${datapoints} must be an integer from 1 to 3 `,
      );
    }
  });

  it('takes a stream name Kinesis takes', () => {
    expect(resolvePolicy({ streamName: 'a'.repeat(128) }).streamName).toHaveLength(128);
    expect(resolvePolicy({ streamName: 'Az09_.-' }).streamName).toBe('Az09_.-');
    for (const streamName of ['', 'a'.repeat(129), 'bad name', 'name!', '!name', 'a/b']) {
      const error = refusal({ streamName });
      expect(error.field).toBe('streamName');
      expect(error.message).toContain('must be a Kinesis stream name ([a-zA-Z0-9_.-], 1-128 characters)');
    }
    expect(refusal({ streamName: 7 } as never).field).toBe('streamName');
  });

  it('refuses unknown fields in the stream entry and in the defaults alike', () => {
    expect(refusal({ maxShard: 3 }).message).toMatch(
      /^Stream s: maxShard must be one of streamName, minShards, /,
    );
    expect(refusal({}, { cooldown: 1 }).field).toBe('cooldown');
  });

  it('merges defaults, then the given defaults, then the entry, and does not share the consumer list', () => {
    const policy = resolvePolicy({ streamName: 's', maxShards: 9 }, { maxShards: 5, minShards: 2 });
    expect(policy).toEqual({ ...DEFAULT_POLICY, streamName: 's', minShards: 2, maxShards: 9 });
    policy.consumerFunctions.push('f');
    expect(DEFAULT_POLICY.consumerFunctions).toEqual([]);
    expect(resolvePolicy({ streamName: 's', consumerFunctions: ['f', ARN] }).consumerFunctions).toEqual([
      'f',
      ARN,
    ]);
  });
});

describe('resolvePolicy: consumer functions', () => {
  it('takes function names and unqualified ARNs of any partition', () => {
    const valid = [
      'f',
      'a'.repeat(64),
      'My_Function-2',
      ARN,
      'arn:aws-cn:lambda:cn-north-1:123456789012:function:f',
      'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f',
    ];
    for (const entry of valid)
      expect(accepts({ consumerFunctions: [entry] }).consumerFunctions).toEqual([entry]);
  });

  it('refuses anything else, and one function listed twice (by name or ARN)', () => {
    const rule =
      'consumerFunctions must be a list of Lambda function names (1-64 characters [a-zA-Z0-9_-]) or unqualified function ARNs, each once';
    for (const consumerFunctions of [
      'f',
      [''],
      ['a'.repeat(65)],
      ['f.g'],
      [`${ARN}:live`],
      ['arn:aws:lambda:us-east-1:12345678901:function:f'],
      ['arn:aws:lambda:useast1:123456789012:function:f'],
      ['xarn:aws:lambda:us-east-1:123456789012:function:f'],
      [3],
      ['f', 'f'],
      ['orders-consumer', ARN],
    ]) {
      expect(refusal({ consumerFunctions } as never).message).toContain(rule);
    }
  });

  it('names a consumer by its last ARN part', () => {
    expect(consumerFunctionName(ARN)).toBe('orders-consumer');
    expect(consumerFunctionName('orders-consumer')).toBe('orders-consumer');
  });
});

describe('checkPolicySet and parseStreamList', () => {
  it('refuses a stream listed twice, and a consumer shared by two streams', () => {
    const a = resolvePolicy({ streamName: 'a', consumerFunctions: ['f'] });
    const b = resolvePolicy({ streamName: 'b', consumerFunctions: [ARN.replace('orders-consumer', 'f')] });
    expect(() => checkPolicySet([a, resolvePolicy({ streamName: 'a' })])).toThrow(
      new Error('stream a is listed twice'),
    );
    let error: unknown;
    try {
      checkPolicySet([a, b]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).message).toBe(
      `Stream b: consumerFunctions must be functions no other stream lists (${b.consumerFunctions[0]} is also a consumer of a: reserved concurrency is per function) (got "${b.consumerFunctions[0]}")`,
    );
    expect(() =>
      checkPolicySet([a, resolvePolicy({ streamName: 'b', consumerFunctions: ['g'] })]),
    ).not.toThrow();
  });

  it('reads a list of names with stray commas and spaces, or a JSON array, with the given defaults', () => {
    expect(parseStreamList(' a , ,b,, ', { maxShards: 7 }).map((p) => [p.streamName, p.maxShards])).toEqual([
      ['a', 7],
      ['b', 7],
    ]);
    expect(parseStreamList(' \n ')).toEqual([]);
    expect(parseStreamList(' [{"streamName":"a","minShards":2}] ', { maxShards: 7 })[0]).toMatchObject({
      streamName: 'a',
      minShards: 2,
      maxShards: 7,
    });
    expect(parseStreamList('[]')).toEqual([]);
  });

  it('refuses JSON entries that are not objects, and policies that break the set rules', () => {
    expect(() => parseStreamList('[1]')).toThrow(new Error('each entry must be an object'));
    expect(() => parseStreamList('[null]')).toThrow(new Error('each entry must be an object'));
    expect(() => parseStreamList('[{"streamName":"a"},{"streamName":"a"}]')).toThrow(
      /stream a is listed twice/,
    );
    expect(() => parseStreamList('[{"streamName":"a","maxShards":0}]')).toThrow(PolicyError);
  });
});

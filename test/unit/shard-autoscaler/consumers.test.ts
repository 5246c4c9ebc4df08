/**
 * Consumer reserved concurrency (the AWS sample's optional feature): the policy fields, the notification, and
 * the IAM statement the deploy helpers add for it.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../functions/shard-autoscaler/decide';
import { scaledNotification } from '../../../functions/shard-autoscaler/notify';
import {
  DEFAULT_POLICY,
  PolicyError,
  parseStreamList,
  resolvePolicy,
} from '../../../functions/shard-autoscaler/policy';

const require = createRequire(import.meta.url);
const { consumerConcurrencyStatement } =
  require('../../../functions/shard-autoscaler/deploy/resources.cjs') as {
    consumerConcurrencyStatement(settings: unknown): { Action: string; Resource: unknown[] } | undefined;
  };

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:orders-consumer';

describe('policy: consumerFunctions and consumerConcurrencyPerShard', () => {
  it('is off by default: no consumers, 1 per shard', () => {
    expect(resolvePolicy({ streamName: 's' })).toMatchObject({
      consumerFunctions: [],
      consumerConcurrencyPerShard: 1,
    });
  });

  it('takes function names and unqualified ARNs in any partition', () => {
    const consumerFunctions = [
      'orders-consumer_2',
      ARN,
      'arn:aws-cn:lambda:cn-north-1:123456789012:function:f',
      'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:g',
    ];
    expect(
      resolvePolicy({ streamName: 's', consumerFunctions, consumerConcurrencyPerShard: 10 }),
    ).toMatchObject({ consumerFunctions, consumerConcurrencyPerShard: 10 });
    // SCALING_DEFAULTS may carry them too.
    expect(
      resolvePolicy({ streamName: 's' }, { consumerConcurrencyPerShard: 3 }).consumerConcurrencyPerShard,
    ).toBe(3);
  });

  it('rejects what PutFunctionConcurrency or IAM scoping could not use, naming the field', () => {
    const bad: unknown[] = [
      'orders',
      [''],
      ['has space'],
      ['f'.repeat(65)],
      ['orders:live'], // a qualifier: reserved concurrency is per function, not per version or alias
      [`${ARN}:live`],
      ['arn:aws:lambda:eu-west-1:123:function:f'], // not a 12-digit account
      ['123456789012:function:f'], // partial ARN: no region to scope the role to
      ['arn:aws:lambda:eu-west-1:123456789012:function:*'],
      ['f', 'f'],
      ['orders-consumer', ARN], // the same function twice
      [42],
      null,
    ];
    for (const consumerFunctions of bad) {
      expect(
        () => resolvePolicy({ streamName: 's', consumerFunctions } as never),
        JSON.stringify(consumerFunctions),
      ).toThrow(/s: consumerFunctions must be a list of Lambda function names/);
    }
    for (const consumerConcurrencyPerShard of [0, 11, 1.5, '2']) {
      expect(() => resolvePolicy({ streamName: 's', consumerConcurrencyPerShard } as never)).toThrow(
        /consumerConcurrencyPerShard must be an integer from 1 to 10/,
      );
    }
    expect(() => resolvePolicy({ streamName: 's', consumerFunctions: ['a b'] })).toThrow(PolicyError);
  });

  it('lists a function for one stream only (reserved concurrency is one number per function)', () => {
    expect(() =>
      parseStreamList(
        JSON.stringify([
          { streamName: 'a', consumerFunctions: ['orders-consumer'] },
          { streamName: 'b', consumerFunctions: [ARN] },
        ]),
      ),
    ).toThrow(/b: consumerFunctions .*orders-consumer is also a consumer of a/);
    expect(
      parseStreamList(
        JSON.stringify([
          { streamName: 'a', consumerFunctions: ['x'] },
          { streamName: 'b', consumerFunctions: ['y'] },
        ]),
      ),
    ).toHaveLength(2);
  });

  it('does not share the default list between policies', () => {
    resolvePolicy({ streamName: 's' }).consumerFunctions.push('oops');
    expect(DEFAULT_POLICY.consumerFunctions).toEqual([]);
    expect(resolvePolicy({ streamName: 't' }).consumerFunctions).toEqual([]);
  });
});

describe('deploy: the PutFunctionConcurrency statement', () => {
  it('is absent when no stream has consumers', () => {
    expect(consumerConcurrencyStatement({ streams: ['a', { streamName: 'b' }] })).toBeUndefined();
  });

  it('names exactly the consumer functions: names as ARNs of the stack, ARNs as given', () => {
    expect(
      consumerConcurrencyStatement({
        streams: [
          { streamName: 'a', consumerFunctions: ['orders-consumer'] },
          { streamName: 'b' },
          { streamName: 'c', consumerFunctions: [ARN.replace('orders-consumer', 'clicks-consumer')] },
        ],
      }),
    ).toEqual({
      Effect: 'Allow',
      Action: 'lambda:PutFunctionConcurrency',
      Resource: [
        {
          'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:orders-consumer',
        },
        ARN.replace('orders-consumer', 'clicks-consumer'),
      ],
    });
  });
});

describe('scaled notification with consumers', () => {
  const decision = (direction: 'up' | 'down', from: number, to: number) =>
    ({
      action: 'scale',
      direction,
      from,
      to,
      reason: 'test',
      utilisation: 0.8,
      utilisationAfter: 0.4,
      budget: { left: 9, limit: 10, used: 1 },
    }) as unknown as Decision & { action: 'scale' };

  it('says what the consumers were set to, and which were not', () => {
    const { message } = scaledNotification('orders', decision('up', 2, 4), 'alarm', {
      consumers: [
        { functionName: 'a', reservedConcurrency: 8 },
        { functionName: 'b', reservedConcurrency: 8, error: 'ResourceNotFoundException' },
      ],
      concurrencyPerShard: 2,
      warnings: ['reserved concurrency of b not set to 8 (ResourceNotFoundException)'],
    });
    expect(message).toContain("Consumers' reserved concurrency: 4 shards x 2 = 8, set for a, NOT set");
    expect(message).toContain('Warning: reserved concurrency of b not set to 8 (ResourceNotFoundException).');
    expect(message).not.toMatch(/throttled/);
  });

  it('warns of the scale-down window, and says nothing about consumers when there are none', () => {
    const down = scaledNotification('orders', decision('down', 6, 3), 'alarm', {
      consumers: [{ functionName: 'a', reservedConcurrency: 3 }],
      concurrencyPerShard: 1,
    });
    expect(down.message).toMatch(/throttled briefly .*nothing is lost/);
    const none = scaledNotification('orders', decision('down', 6, 3), 'alarm');
    expect(none.message).not.toMatch(/concurrency/);
  });
});

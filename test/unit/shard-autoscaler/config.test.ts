import { afterEach, describe, expect, it } from 'vitest';
import { config } from '../../../functions/shard-autoscaler/config';
import { ConfigError } from '../../../shared/middleware/config';

const VARIABLES = ['AUTOSCALED_STREAMS', 'SCALING_DEFAULTS', 'ALARM_NAME_PREFIX', 'ALARM_ACTIONS', 'DRY_RUN'];

afterEach(() => {
  for (const name of VARIABLES) delete process.env[name];
  config.reset();
});

describe('shard-autoscaler config', () => {
  it('reads stream policies, defaults and the rest', () => {
    Object.assign(process.env, {
      AUTOSCALED_STREAMS: '[{"streamName":"orders","maxShards":8},{"streamName":"clicks"}]',
      SCALING_DEFAULTS: '{"minShards":2,"maxShards":20}',
      ALARM_NAME_PREFIX: 'p-',
      ALARM_ACTIONS: 'arn:aws:sns:us-east-1:1:a',
      DRY_RUN: 'true',
    });
    const settings = config();
    expect(settings.streams.get('orders')).toMatchObject({ minShards: 2, maxShards: 8 });
    expect(settings.streams.get('clicks')).toMatchObject({ minShards: 2, maxShards: 20 });
    expect(settings).toMatchObject({
      alarmNamePrefix: 'p-',
      alarmActions: ['arn:aws:sns:us-east-1:1:a'],
      dryRun: true,
    });
  });

  it('has safe defaults: no streams (every alarm ignored), no actions, acting for real', () => {
    expect(config()).toMatchObject({
      alarmNamePrefix: 'kinesis-autoscaler-',
      alarmActions: [],
      dryRun: false,
    });
    expect(config().streams.size).toBe(0);
  });

  it('names the variable and the field when a policy is wrong', () => {
    process.env.AUTOSCALED_STREAMS = '[{"streamName":"orders","minShards":9,"maxShards":3}]';
    expect(() => config()).toThrow(ConfigError);
    expect(() => config()).toThrow(/AUTOSCALED_STREAMS .*orders: maxShards must be an integer from 9/);
    config.reset();
    process.env.AUTOSCALED_STREAMS = 'orders';
    process.env.SCALING_DEFAULTS = '[1]';
    expect(() => config()).toThrow(/SCALING_DEFAULTS must be a JSON object of policy fields/);
  });
});

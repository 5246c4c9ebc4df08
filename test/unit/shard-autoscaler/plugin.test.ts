/**
 * deploy/plugin.cjs under `serverless invoke local`: the autoscaler's stack-only environment values are emptied,
 * and the run says so, only when the invoked function is the autoscaler.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const Plugin = require('../../../functions/shard-autoscaler/deploy/plugin.cjs') as new (
  serverless: unknown,
  options: unknown,
) => { hooks: Record<string, () => void> };

function run(invoked: string, commands = ['invoke', 'local']) {
  const lines: string[] = [];
  const stackValue = { 'Fn::If': ['ShardAutoscalerSnsTrigger', { Ref: 'ShardAutoscalerAlarmTopic' }, ''] };
  const functions = {
    'shard-autoscaler': {
      handler: 'functions/shard-autoscaler/handler.handler',
      environment: { ALARM_ACTIONS: stackValue, NOTIFICATION_TOPIC_ARN: { Ref: 'Topic' }, DRY_RUN: 'false' },
    },
    'kinesis-to-sns': { handler: 'functions/kinesis-to-sns/handler.handler', environment: { A: 'b' } },
  };
  const serverless = {
    processedInput: { commands },
    service: { functions },
    cli: { log: (line: string) => lines.push(line) },
  };
  new Plugin(serverless, { function: invoked }).hooks.initialize!();
  return { lines, environment: functions['shard-autoscaler'].environment };
}

describe('shard-autoscaler plugin: invoke local', () => {
  it('empties the stack values of the autoscaler when it is the invoked function, in one line', () => {
    const { lines, environment } = run('shard-autoscaler');
    expect(lines).toEqual([
      'shard-autoscaler: ALARM_ACTIONS, NOTIFICATION_TOPIC_ARN empty for invoke local (values of the deployed stack; set them in the environment to use others)',
    ]);
    expect(environment).toEqual({ ALARM_ACTIONS: '', NOTIFICATION_TOPIC_ARN: '', DRY_RUN: 'false' });
  });

  it('says nothing and changes nothing when another function is invoked, or on other commands', () => {
    for (const [invoked, commands] of [
      ['kinesis-to-sns', ['invoke', 'local']],
      ['shard-autoscaler', ['package']],
    ] as const) {
      const { lines, environment } = run(invoked, [...commands]);
      expect(lines).toEqual([]);
      expect(environment.NOTIFICATION_TOPIC_ARN).toEqual({ Ref: 'Topic' });
    }
  });
});

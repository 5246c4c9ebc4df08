/**
 * deploy/operations/resources.cjs without the CLI: a function of no known kind stops the package (so none ships
 * without alarms), a consumer without an SQS on-failure destination too, settings are checked, and the stream name
 * of a consumer comes from its ARN whether it is a string or a CloudFormation value.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { operationsResources } = require('../../deploy/operations/resources.cjs') as {
  operationsResources: (
    input: Record<string, unknown>,
    settings: Record<string, unknown>,
  ) => {
    resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    conditions: Record<string, unknown>;
  };
};

const consumer = (arn: unknown, queue = 'OrdersFailureQueue') => ({
  handler: 'functions/kinesis-to-s3/handler.handler',
  environment: { POWERTOOLS_SERVICE_NAME: 'orders' },
  events: [
    {
      stream: {
        type: 'kinesis',
        arn,
        destinations: { onFailure: { type: 'sqs', arn: { 'Fn::GetAtt': [queue, 'Arn'] } } },
      },
    },
  ],
});

const input = (functions: Record<string, unknown>) => ({
  functions,
  provider: { timeout: 60 },
  service: 'svc',
  stage: 'dev',
  lambdaLogicalId: (name: string) => `${name.replace(/-/g, '')}LambdaFunction`,
  autoscalerStreams: [],
});

describe('operations resources', () => {
  it('refuses a function it has no alarms for, naming it and where to add them', () => {
    expect(() =>
      operationsResources(input({ 'my-new-thing': { handler: 'functions/x/handler.handler' } }), {}),
    ).toThrow(/my-new-thing is neither .* deploy\/operations\/description\.cjs/);
  });

  it('refuses a stream consumer without an SQS on-failure destination', () => {
    const fn = consumer('arn:aws:kinesis:us-east-1:1:stream/orders');
    delete (fn.events[0]!.stream as { destinations?: unknown }).destinations;
    expect(() => operationsResources(input({ orders: fn }), {})).toThrow(
      /without an SQS on-failure destination/,
    );
  });

  it('checks its settings', () => {
    const fns = { orders: consumer('arn:aws:kinesis:us-east-1:1:stream/orders') };
    expect(() => operationsResources(input(fns), { alarms: 'yes' })).toThrow(/alarms must be true or false/);
    expect(() => operationsResources(input(fns), { iteratorAgeThresholdMs: 'soon' })).toThrow(
      /iteratorAgeThresholdMs/,
    );
    expect(() => operationsResources(input(fns), { durationPercent: 150 })).toThrow(/at most 100/);
  });

  it('alarms on the service the function emits under and the stream named by its ARN', () => {
    const { resources } = operationsResources(
      input({
        orders: consumer('arn:aws:kinesis:us-east-1:1:stream/orders'),
        made: consumer({ 'Fn::GetAtt': ['MadeStream', 'Arn'] }, 'MadeFailureQueue'),
      }),
      { namespace: 'Custom' },
    );
    expect(resources.OpsOrdersDeadLetteredAlarm!.Properties).toMatchObject({
      Namespace: 'Custom',
      MetricName: 'RecordsDeadLettered',
      Dimensions: [{ Name: 'service', Value: 'orders' }],
    });
    const body = JSON.stringify(resources.OperationsDashboard!.Properties.DashboardBody);
    expect(body).toContain('\\"StreamName\\",\\"orders\\"');
    expect(body).toContain('{"Fn::Select":[1,{"Fn::Split":["/",{"Fn::GetAtt":["MadeStream","Arn"]}]}]}');
  });
});

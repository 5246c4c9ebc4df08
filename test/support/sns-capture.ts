/**
 * Captures what a function publishes to SNS, on fauxqs: a topic with an SQS queue subscribed, read back through
 * fauxqs' non-destructive inspection endpoint (GET /_fauxqs/queues/<name>). Test workers have the endpoints,
 * not the fauxqs handle (that lives in the global setup), hence the HTTP route.
 */
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { endpointFor, snsClient } from '../../shared/aws/clients';

export interface CapturedNotification {
  subject?: string;
  message: string;
}

export interface SnsCapture {
  topicArn: string;
  notifications(): Promise<CapturedNotification[]>;
}

export async function captureTopic(name: string): Promise<SnsCapture> {
  const endpoint = endpointFor('SQS') ?? endpointFor('SNS');
  if (!endpoint) throw new Error('No SQS/SNS endpoint: run under the vitest global setup');
  const created = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.CreateQueue' },
    body: JSON.stringify({ QueueName: `${name}-capture` }),
  });
  if (!created.ok) throw new Error(`CreateQueue failed: ${created.status} ${await created.text()}`);
  const inspect = async () => {
    const response = await fetch(`${endpoint}/_fauxqs/queues/${name}-capture`);
    return (await response.json()) as { arn: string; messages: { ready: Array<{ body: string }> } };
  };
  const { TopicArn } = await snsClient().send(new CreateTopicCommand({ Name: name }));
  await snsClient().send(
    new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: (await inspect()).arn }),
  );
  return {
    topicArn: TopicArn!,
    async notifications() {
      return (await inspect()).messages.ready.map((entry) => {
        const envelope = JSON.parse(entry.body) as { Subject?: string; Message: string };
        return { ...(envelope.Subject ? { subject: envelope.Subject } : {}), message: envelope.Message };
      });
    },
  };
}

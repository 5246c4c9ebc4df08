/**
 * An SNS topic on fauxqs with an SQS queue subscribed (standard, or FIFO for a .fifo topic), and what arrived on
 * the queue: subject, message, message attributes, and for FIFO the group and deduplication ids. Read through
 * fauxqs' non-destructive inspection endpoint (GET /_fauxqs/queues/<name>): test workers have the endpoints, not
 * the fauxqs handle (that lives in the global setup).
 */
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { endpointFor, snsClient } from '../../shared/aws/clients';

export interface ArrivedNotification {
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  groupId?: string;
  deduplicationId?: string;
}

export interface SubscribedQueue {
  topicArn: string;
  queueName: string;
  notifications(): Promise<ArrivedNotification[]>;
  /** Polls until at least `count` notifications arrived (or `timeoutMs` passed), then returns them all. */
  waitFor(count: number, timeoutMs?: number): Promise<ArrivedNotification[]>;
}

interface InspectedQueue {
  arn: string;
  messages: {
    ready: Array<{ body: string; messageGroupId?: string; messageDeduplicationId?: string }>;
    inflight?: unknown[];
  };
}

export async function subscribedQueue(topicName: string): Promise<SubscribedQueue> {
  const fifo = topicName.endsWith('.fifo');
  const endpoint = endpointFor('SQS');
  if (!endpoint) throw new Error('No SQS endpoint: run under the vitest global setup');
  const queueName = fifo ? `${topicName.slice(0, -5)}-queue.fifo` : `${topicName}-queue`;
  const created = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.CreateQueue' },
    body: JSON.stringify({ QueueName: queueName, ...(fifo ? { Attributes: { FifoQueue: 'true' } } : {}) }),
  });
  if (!created.ok) throw new Error(`CreateQueue failed: ${created.status} ${await created.text()}`);
  const inspect = async (): Promise<InspectedQueue> => {
    const response = await fetch(`${endpoint}/_fauxqs/queues/${encodeURIComponent(queueName)}`);
    return (await response.json()) as InspectedQueue;
  };
  // The SNS client goes straight to fauxqs here, even when a test puts a proxy in front of the function's.
  const { TopicArn } = await snsClient().send(
    new CreateTopicCommand({ Name: topicName, ...(fifo ? { Attributes: { FifoTopic: 'true' } } : {}) }),
  );
  await snsClient().send(
    new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: (await inspect()).arn }),
  );
  const notifications = async () =>
    (await inspect()).messages.ready.map((entry) => {
      const envelope = JSON.parse(entry.body) as {
        Subject?: string | null;
        Message: string;
        MessageAttributes?: Record<string, { Type: string; Value: string }>;
      };
      const attributes: Record<string, string> = {};
      for (const [name, value] of Object.entries(envelope.MessageAttributes ?? {}))
        attributes[name] = value.Value;
      return {
        ...(envelope.Subject ? { subject: envelope.Subject } : {}),
        message: envelope.Message,
        attributes,
        ...(entry.messageGroupId ? { groupId: entry.messageGroupId } : {}),
        ...(entry.messageDeduplicationId ? { deduplicationId: entry.messageDeduplicationId } : {}),
      };
    });
  return {
    topicArn: TopicArn!,
    queueName,
    notifications,
    async waitFor(count, timeoutMs = 3_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const arrived = await notifications();
        if (arrived.length >= count || Date.now() > until) return arrived;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}

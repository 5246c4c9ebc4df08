/**
 * What `npm run invoke -- kinesis-to-sns --emulators` needs besides the emulators: an SNS topic on fauxqs with an
 * SQS queue subscribed to it (so the notifications can be shown), and the dead-letter bucket (the s3rver bucket
 * the run already created). `stop()` prints the notifications that reached the queue.
 */
import { subscribedQueue } from '../../test/support/sns-queue';

export interface LocalSetup {
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function setUpKinesisToSns(deadLetterBucket: string): Promise<LocalSetup> {
  const queue = await subscribedQueue('kinesis-lambda-kit-local-alerts');
  return {
    // serverless.yml deploys DEAD_LETTER_BUCKET from SNS_DEAD_LETTER_BUCKET.
    env: { ALERT_TOPIC_ARN: queue.topicArn, SNS_DEAD_LETTER_BUCKET: deadLetterBucket },
    async stop() {
      const arrived = await queue.notifications();
      console.log(
        `\n${arrived.length} notification(s) on ${queue.queueName}, subscribed to ${queue.topicArn}:`,
      );
      for (const notification of arrived) {
        const { rule, severity, count } = notification.attributes;
        console.log(`  [${severity ?? '-'}] ${rule ?? '-'} x${count ?? '1'}: ${notification.subject ?? ''}`);
      }
    },
  };
}

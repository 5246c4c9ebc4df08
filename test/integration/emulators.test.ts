import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { kinesisClient, s3Client } from '../../shared/aws/clients';

describe('emulator harness', () => {
  it('serves Kinesis and S3 to the shared client factories', async () => {
    await kinesisClient().send(new CreateStreamCommand({ StreamName: 'harness-check', ShardCount: 1 }));
    // kinesalite (createStreamMs 0) turns the stream ACTIVE on its next timer tick, as AWS does a little later.
    let status: string | undefined;
    for (let attempt = 0; attempt < 100 && status !== 'ACTIVE'; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const summary = await kinesisClient().send(
        new DescribeStreamSummaryCommand({ StreamName: 'harness-check' }),
      );
      status = summary.StreamDescriptionSummary?.StreamStatus;
    }
    expect(status).toBe('ACTIVE');

    await s3Client().send(new CreateBucketCommand({ Bucket: 'harness-check' }));
    await s3Client().send(new PutObjectCommand({ Bucket: 'harness-check', Key: 'a/b.txt', Body: 'hello' }));
    const object = await s3Client().send(new GetObjectCommand({ Bucket: 'harness-check', Key: 'a/b.txt' }));
    expect(await object.Body?.transformToString()).toBe('hello');
  });
});

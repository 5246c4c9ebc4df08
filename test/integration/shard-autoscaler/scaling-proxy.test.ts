/**
 * The Kinesis scaling proxy's tag rules are AWS's, so the autoscaler's tests mean what they say: ListTagsForStream
 * pages of 10 when no Limit is given, Limit 1 to 50, keys in order after ExclusiveStartTagKey; at most 50 tags on
 * a stream (kinesalite's AddTagsToStream, behind the proxy).
 */
import { AddTagsToStreamCommand, KinesisClient, ListTagsForStreamCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AutoscalerWorld, startAutoscalerWorld } from '../../support/shard-autoscaler-world';

let world: AutoscalerWorld;
let kinesis: KinesisClient;

beforeAll(async () => {
  world = await startAutoscalerWorld({ kinesisEndpoint: process.env.AWS_ENDPOINT_URL_KINESIS! });
  kinesis = new KinesisClient({
    endpoint: world.kinesis.endpoint,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
});

afterAll(async () => {
  kinesis.destroy();
  await world.stop();
});

let streams = 0;
async function taggedStream(count: number) {
  streams += 1;
  const name = `proxy-tags-${count}-${streams}-${Date.now().toString(36)}`;
  await world.createStream(name, 1);
  const keys = Array.from({ length: count }, (_, i) => `k${String(i).padStart(2, '0')}`);
  for (let i = 0; i < keys.length; i += 10) {
    const tags = Object.fromEntries(keys.slice(i, i + 10).map((key) => [key, `v${key}`]));
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: tags }));
  }
  return { name, keys };
}

const keysOf = (tags: Array<{ Key?: string }> | undefined) => (tags ?? []).map((tag) => tag.Key);

describe('kinesis scaling proxy: ListTagsForStream and tag limits as AWS', () => {
  it('pages 10 tags when no Limit is given, and follows ExclusiveStartTagKey', async () => {
    const { name, keys } = await taggedStream(23);
    const seen: string[] = [];
    let after: string | undefined;
    const pages: boolean[] = [];
    for (;;) {
      const page = await kinesis.send(
        new ListTagsForStreamCommand({ StreamName: name, ExclusiveStartTagKey: after }),
      );
      seen.push(...(keysOf(page.Tags) as string[]));
      pages.push(page.HasMoreTags!);
      if (!page.HasMoreTags) break;
      after = page.Tags!.at(-1)!.Key;
    }
    expect(pages).toEqual([true, true, false]);
    expect(seen).toEqual(keys);
  });

  it('takes a Limit of 1 to 50, and refuses anything else', async () => {
    const { name, keys } = await taggedStream(50);
    const all = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name, Limit: 50 }));
    expect(keysOf(all.Tags)).toEqual(keys);
    expect(all.HasMoreTags).toBe(false);
    const one = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name, Limit: 1 }));
    expect(keysOf(one.Tags)).toEqual(['k00']);
    expect(one.HasMoreTags).toBe(true);
    for (const limit of [0, 51]) {
      await expect(
        kinesis.send(new ListTagsForStreamCommand({ StreamName: name, Limit: limit })),
      ).rejects.toMatchObject({ name: 'ValidationException' });
    }
  });

  it('refuses a 51st tag on a stream', async () => {
    const { name } = await taggedStream(50);
    await expect(
      kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { zz: 'one too many' } })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    // Rewriting an existing tag is still allowed at 50.
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { k00: 'again' } }));
  });
});

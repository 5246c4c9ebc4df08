/**
 * What `npm run invoke -- kinesis-to-opensearch --emulators` needs besides the emulators: the dead-letter bucket
 * (the s3rver bucket the run already created). OPENSEARCH_ENDPOINT already points at the OpenSearch fake the
 * emulators start (a wire-level fake, not OpenSearch: no OpenSearch server can run here). `stop()` prints what
 * the fake holds.
 */
import type { Emulators } from '../../test/support/emulators';

export interface LocalSetup {
  env: Record<string, string>;
  stop(): Promise<void>;
}

export function setUpKinesisToOpenSearch(emulators: Emulators, deadLetterBucket: string): LocalSetup {
  return {
    env: { OPENSEARCH_DEAD_LETTER_BUCKET: deadLetterBucket },
    async stop() {
      const fake = emulators.opensearch;
      const bulk = fake.requests.filter((request) => request.path.endsWith('/_bulk'));
      console.log(
        `\nOpenSearch FAKE (test/support/opensearch-fake.ts, not a real OpenSearch) at ${fake.endpoint}: ` +
          `${bulk.length} _bulk request(s), ${fake.all().size} document(s) (gone when the run ends):`,
      );
      for (const [index, docs] of fake.documents) {
        console.log(`  ${index}: ${docs.size} document(s), e.g. _id ${[...docs.keys()][0]}`);
      }
    },
  };
}

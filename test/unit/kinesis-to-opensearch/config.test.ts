/** kinesis-to-opensearch's configuration: defaults, and errors that name the variable. */
import { afterEach, describe, expect, it } from 'vitest';
import { config } from '../../../functions/kinesis-to-opensearch/config';

const KEYS = [
  'OPENSEARCH_ENDPOINT',
  'OPENSEARCH_DEAD_LETTER_BUCKET',
  'OPENSEARCH_INDEX_TEMPLATE',
  'OPENSEARCH_ID_FIELD',
];
const saved = Object.fromEntries(KEYS.map((key) => [key, process.env[key]]));

function load(env: Record<string, string | undefined>) {
  for (const key of KEYS) delete process.env[key];
  Object.assign(process.env, {
    OPENSEARCH_ENDPOINT: 'https://search-logs-abc.us-east-1.es.amazonaws.com/',
    OPENSEARCH_DEAD_LETTER_BUCKET: 'dl-bucket',
    ...env,
  });
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
  config.reset();
  return config();
}

afterEach(() => {
  for (const key of KEYS)
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  config.reset();
});

describe('kinesis-to-opensearch config', () => {
  it('has the documented defaults', () => {
    const settings = load({});
    expect(settings).toMatchObject({
      endpoint: 'https://search-logs-abc.us-east-1.es.amazonaws.com',
      service: 'es',
      region: process.env.AWS_REGION,
      indexTemplate: 'logs-%Y.%m.%d',
      maxBulkBytes: 5_242_880,
      maxBulkActions: 10_000,
      concurrency: 2,
      deadLetterPrefix: 'dead-letter/kinesis-to-opensearch',
      deadlineMarginMs: 2_000,
    });
    expect(settings.idField).toBeUndefined();
  });

  it('names the variable in errors', () => {
    expect(() => load({ OPENSEARCH_INDEX_TEMPLATE: 'logs-%q' })).toThrow(
      'Invalid configuration: OPENSEARCH_INDEX_TEMPLATE must be a valid index template: unknown token %q; known: %Y %m %d %H %% (got "logs-%q")',
    );
    expect(() => load({ OPENSEARCH_ENDPOINT: undefined })).toThrow(
      'OPENSEARCH_ENDPOINT must be the domain or collection endpoint',
    );
    expect(() => load({ OPENSEARCH_ENDPOINT: 'search-logs.es.amazonaws.com' })).toThrow(
      '(got "search-logs.es.amazonaws.com")',
    );
    expect(() => load({ OPENSEARCH_ID_FIELD: 'a..b' })).toThrow(
      'OPENSEARCH_ID_FIELD must be a dotted field path',
    );
  });
});

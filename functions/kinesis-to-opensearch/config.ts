/** kinesis-to-opensearch configuration: environment variables, validated at cold start (see README.md). */

import { DEFAULT_DEADLINE_MARGIN_MS } from '../../shared/aws/deadline';
import { ConfigError, defineConfig } from '../../shared/middleware/config';
import {
  compileIndexTemplate,
  DEFAULT_MAX_BULK_ACTIONS,
  DEFAULT_MAX_BULK_BYTES,
} from '../../shared/sinks/opensearch';

// S3 bucket naming rules (3-63 chars, lower-case letters, digits, dots, hyphens).
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// A dotted path of plain field names: `id`, `order.id`.
const FIELD_PATH = /^[A-Za-z_@][A-Za-z0-9_@-]*(\.[A-Za-z_@][A-Za-z0-9_@-]*)*$/;

export const config = defineConfig((env) => {
  const endpointText = env.string('OPENSEARCH_ENDPOINT', {
    pattern: /^https?:\/\/[^/\s]+\/?$/,
    describe:
      'the domain or collection endpoint as a URL, e.g. https://search-logs-abc123.us-east-1.es.amazonaws.com',
  });
  const indexTemplate = env.string('OPENSEARCH_INDEX_TEMPLATE', { default: 'logs-%Y.%m.%d' });
  let indexName: (timeMs: number) => string;
  try {
    indexName = compileIndexTemplate(indexTemplate);
  } catch (error) {
    throw new ConfigError(
      'OPENSEARCH_INDEX_TEMPLATE',
      `a valid index template: ${(error as Error).message}`,
      indexTemplate,
    );
  }
  const path = (name: string) => {
    const text = env.optionalString(name);
    if (text === undefined) return undefined;
    if (!FIELD_PATH.test(text))
      throw new ConfigError(name, 'a dotted field path such as orderId or event.time', text);
    return text.split('.');
  };
  return {
    endpoint: endpointText.replace(/\/$/, ''),
    // Lambda sets AWS_REGION (a reserved variable); OPENSEARCH_REGION is for a domain in another region.
    region: env.string('OPENSEARCH_REGION', {
      default: process.env.AWS_REGION,
      describe: "the domain's region, e.g. eu-west-1 (default: AWS_REGION)",
    }),
    service: env.oneOf('OPENSEARCH_SERVICE', ['es', 'aoss'] as const, 'es'),
    indexTemplate,
    indexName,
    timeField: path('OPENSEARCH_TIME_FIELD'),
    idField: path('OPENSEARCH_ID_FIELD'),
    maxBulkBytes: env.int('OPENSEARCH_MAX_BULK_BYTES', {
      default: DEFAULT_MAX_BULK_BYTES,
      min: 64 * 1024,
      max: 100 * 1024 * 1024,
    }),
    maxBulkActions: env.int('OPENSEARCH_MAX_BULK_ACTIONS', {
      default: DEFAULT_MAX_BULK_ACTIONS,
      min: 1,
      max: 100_000,
    }),
    concurrency: env.int('OPENSEARCH_MAX_REQUESTS_IN_FLIGHT', { default: 2, min: 1, max: 16 }),
    deadLetterBucket: env.string('OPENSEARCH_DEAD_LETTER_BUCKET', {
      pattern: BUCKET_NAME,
      describe: 'a valid S3 bucket name',
    }),
    deadLetterPrefix: env
      .string('OPENSEARCH_DEAD_LETTER_PREFIX', { default: 'dead-letter/kinesis-to-opensearch' })
      .replace(/^\/+|\/+$/g, ''),
    deadlineMarginMs: env.int('DEADLINE_MARGIN_MS', {
      default: DEFAULT_DEADLINE_MARGIN_MS,
      min: 100,
      max: 60_000,
    }),
  };
});

export type KinesisToOpenSearchConfig = ReturnType<typeof config>;

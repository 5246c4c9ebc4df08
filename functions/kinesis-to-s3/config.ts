/** kinesis-to-s3 configuration: environment variables, validated at cold start (see README.md). */

import { type FieldFilter, parseFieldFilter, parseProjection } from '../../shared/kinesis/select';
import { DEFAULT_DEADLINE_MARGIN_MS } from '../../shared/aws/deadline';
import { ConfigError, defineConfig } from '../../shared/middleware/config';
import { DEFAULT_GZIP_LEVEL, DEFAULT_ZSTD_LEVEL, zstdAvailable } from '../../shared/sinks/compression';
import { compileKeyTemplate, DEFAULT_KEY_TEMPLATE } from '../../shared/sinks/key-template';

// The metadata member's name: a plain field name, and not one the text/binary formats or the wrapper of a
// non-object record already use.
const METADATA_FIELD = /^(?!(?:value|data|dataBase64)$)[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

// S3 bucket naming rules (3-63 chars, lower-case letters, digits, dots, hyphens).
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function parsed<T>(variable: string, expected: string, text: string | undefined, parse: (text: string) => T) {
  if (text === undefined) return undefined;
  try {
    return parse(text);
  } catch (error) {
    throw new ConfigError(variable, `${expected}: ${(error as Error).message}`, text);
  }
}

export const config = defineConfig((env) => {
  const format = env.oneOf('INPUT_FORMAT', ['json', 'text', 'binary'] as const, 'json');
  const keyTemplate = env.string('KEY_TEMPLATE', { default: DEFAULT_KEY_TEMPLATE });
  parsed('KEY_TEMPLATE', 'a valid key template', keyTemplate, compileKeyTemplate);
  const fields = env.list('FIELDS', []);
  const filterText = env.optionalString('FILTER');
  if (format !== 'json' && (fields.length > 0 || filterText !== undefined)) {
    throw new ConfigError('FIELDS/FILTER', 'used only with INPUT_FORMAT=json', format);
  }
  const compression = env.oneOf('COMPRESSION', ['gzip', 'zstd', 'none'] as const, 'gzip');
  if (compression === 'zstd' && !zstdAvailable()) {
    throw new ConfigError(
      'COMPRESSION',
      `gzip or none on Node.js ${process.version} (zstd needs Node.js 22.15 or later: the nodejs22.x runtime)`,
      compression,
    );
  }
  return {
    bucket: env.string('BUCKET_NAME', { pattern: BUCKET_NAME, describe: 'a valid S3 bucket name' }),
    prefix: env.string('KEY_PREFIX', { default: 'data' }).replace(/^\/+|\/+$/g, ''),
    keyTemplate,
    deadLetterPrefix: env.string('DEAD_LETTER_PREFIX', { default: 'dead-letter' }).replace(/^\/+|\/+$/g, ''),
    format,
    compression,
    gzipLevel: env.int('GZIP_LEVEL', { default: DEFAULT_GZIP_LEVEL, min: 1, max: 9 }),
    zstdLevel: env.int('ZSTD_LEVEL', { default: DEFAULT_ZSTD_LEVEL, min: 1, max: 19 }),
    // 5 GiB is PutObject's limit; objects are built in memory, so keep well within the function's memory.
    maxObjectBytes: env.int('MAX_OBJECT_BYTES', { default: 64 * 1024 * 1024, min: 1024, max: 5 * 1024 ** 3 }),
    sse: env.oneOf('SSE', ['AES256', 'aws:kms', 'none'] as const, 'AES256'),
    kmsKeyId: env.optionalString('KMS_KEY_ID'),
    projection: parseProjection(fields),
    filter: parsed('FILTER', 'a JSON filter', filterText, parseFieldFilter) as FieldFilter | undefined,
    includeMetadata: env.bool('INCLUDE_METADATA', false),
    metadataField: env.string('METADATA_FIELD', {
      default: '_kinesis',
      pattern: METADATA_FIELD,
      describe: 'a field name (letters, digits, _ . -; at most 64) other than value, data and dataBase64',
    }),
    deadlineMarginMs: env.int('DEADLINE_MARGIN_MS', {
      default: DEFAULT_DEADLINE_MARGIN_MS,
      min: 100,
      max: 60_000,
    }),
  };
});

export type KinesisToS3Config = ReturnType<typeof config>;

/** firehose-kinesis-source configuration: environment variables, validated at cold start (see README.md). */
import { defineConfig } from '../../shared/middleware/config';

export const config = defineConfig((env) => ({
  /** `json`: each user record is one JSON document (re-emitted on one line); `text`: UTF-8 text lines. */
  inputFormat: env.oneOf('INPUT_FORMAT', ['json', 'text'] as const, 'json'),
  /** Split KPL aggregates that still arrive aggregated (Firehose usually de-aggregates them already). */
  deaggregate: env.bool('DEAGGREGATE', true),
  /** Add the Kinesis coordinates (shard, sequence, subsequence, partition key, arrival) to every line. */
  addMetadata: env.bool('ADD_METADATA', false),
  /** The JSON field that carries them. */
  metadataField: env.string('METADATA_FIELD', {
    default: '_kinesis',
    pattern: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    describe: 'a field name (letters, digits, underscore; at most 64)',
  }),
  overflow: env.oneOf('OVERFLOW', ['processing-failed', 'reingest'] as const, 'processing-failed'),
}));

export type KinesisSourceConfig = ReturnType<typeof config>;

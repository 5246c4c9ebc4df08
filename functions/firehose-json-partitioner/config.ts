/** firehose-json-partitioner configuration: environment variables, validated at cold start (see README.md). */
import { ConfigError, defineConfig } from '../../shared/middleware/config';
import { compileTimePattern, parseKeySpec } from './partition';

function check<T>(variable: string, expected: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    throw new ConfigError(variable, `${expected}: ${(error as Error).message}`, text);
  }
}

export const config = defineConfig((env) => {
  const keys = env
    .list('PARTITION_KEYS', [])
    .map((text) => check('PARTITION_KEYS', 'a list of name=dotted.path', text, parseKeySpec));
  const timeFieldText = env.optionalString('TIME_FIELD');
  const timeField = timeFieldText === undefined ? undefined : parseKeySpec(timeFieldText).path;
  const timeKey = env.string('TIME_KEY', { default: 'dt', pattern: /^[A-Za-z0-9_-]{1,64}$/ });
  if (keys.some((key) => key.name === timeKey)) {
    throw new ConfigError('TIME_KEY', 'a name not used in PARTITION_KEYS', timeKey);
  }
  const timePattern = env.string('TIME_FORMAT', { default: 'yyyy/MM/dd/HH' });
  return {
    keys,
    /** The time key comes from this field, or from the record's arrival time when it is not set. */
    timeField,
    timeKey,
    formatTime: check('TIME_FORMAT', 'a time pattern', timePattern, compileTimePattern),
    timeInput: env.oneOf('TIME_INPUT', ['auto', 'epoch-ms', 'epoch-s', 'iso'] as const, 'auto'),
    /** `arrival`: a missing or unreadable time field uses the record's approximateArrivalTimestamp. */
    timeFallback: env.oneOf('TIME_FALLBACK', ['fail', 'arrival'] as const, 'fail'),
    /** When set, a missing partition field gets this value instead of failing the record. */
    missingValue: env.optionalString('MISSING_VALUE'),
    overflow: env.oneOf('OVERFLOW', ['processing-failed', 'reingest'] as const, 'processing-failed'),
  };
});

export type JsonPartitionerConfig = ReturnType<typeof config>;

/** kinesis-to-sns configuration: environment variables, validated at cold start (see README.md). */
import { DEFAULT_DEADLINE_MARGIN_MS } from '../../shared/aws/deadline';
import { ConfigError, defineConfig } from '../../shared/middleware/config';
import { SNS_MAX_REQUEST_BYTES } from '../../shared/sinks/sns';
import bundledRules from './rules.json' with { type: 'json' };
import { compileRules, parseRules, RuleError, type Rule } from './rules';

// arn:<partition>:sns:<region>:<account>:<topic>[.fifo]
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function rules(text: string | undefined): Rule[] {
  try {
    return text === undefined ? compileRules(bundledRules) : parseRules(text);
  } catch (error) {
    if (!(error instanceof RuleError)) throw error;
    const source = text === undefined ? 'functions/kinesis-to-sns/rules.json' : 'ALERT_RULES';
    throw new ConfigError(
      text === undefined ? 'rules.json' : 'ALERT_RULES',
      `valid rules (${source}): ${error.message}`,
      text,
    );
  }
}

export const config = defineConfig((env) => {
  const topicArn = env.string('ALERT_TOPIC_ARN', {
    pattern: TOPIC_ARN,
    describe: 'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>[.fifo])',
  });
  const suppressionTable = env.optionalString('ALERT_SUPPRESSION_TABLE');
  if (suppressionTable !== undefined && !TABLE_NAME.test(suppressionTable))
    throw new ConfigError('ALERT_SUPPRESSION_TABLE', 'a DynamoDB table name', suppressionTable);
  const windowSeconds = env.int('ALERT_SUPPRESSION_WINDOW_SECONDS', {
    default: 0,
    min: 0,
    max: 7 * 24 * 3600,
  });
  if (windowSeconds > 0 && suppressionTable === undefined)
    throw new ConfigError('ALERT_SUPPRESSION_TABLE', 'set when ALERT_SUPPRESSION_WINDOW_SECONDS is above 0');
  return {
    topicArn,
    fifo: topicArn.endsWith('.fifo'),
    rules: rules(env.optionalString('ALERT_RULES')),
    suppression:
      suppressionTable !== undefined && windowSeconds > 0
        ? { tableName: suppressionTable, windowMs: windowSeconds * 1000 }
        : undefined,
    maxRequestBytes: env.int('ALERT_MAX_REQUEST_BYTES', {
      default: SNS_MAX_REQUEST_BYTES,
      min: 4096,
      max: SNS_MAX_REQUEST_BYTES,
    }),
    deadLetterBucket: env.string('DEAD_LETTER_BUCKET', {
      pattern: BUCKET_NAME,
      describe: 'a valid S3 bucket name',
    }),
    deadLetterPrefix: env
      .string('DEAD_LETTER_PREFIX', { default: 'dead-letter/kinesis-to-sns' })
      .replace(/^\/+|\/+$/g, ''),
    deadlineMarginMs: env.int('DEADLINE_MARGIN_MS', {
      default: DEFAULT_DEADLINE_MARGIN_MS,
      min: 100,
      max: 60_000,
    }),
  };
});

export type KinesisToSnsConfig = ReturnType<typeof config>;

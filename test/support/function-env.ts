/**
 * Extra environment a function needs to run its sample event against the emulators (bundle and invoke-local
 * tests). Keyed by function folder name; the emulator endpoints are added by the caller.
 */
export const sampleEventEnv: Record<string, Record<string, string>> = {
  'kinesis-to-s3': { BUCKET_NAME: 'bundle-check', KEY_PREFIX: 'bundle' },
  // The table is created on dynalite before the sample events run (sampleEventTables).
  'kinesis-to-dynamodb': {
    TABLE_NAME: 'bundle-check',
    PARTITION_KEY: 'pk={deviceId}',
    SORT_KEY: 'sk={ts}',
    DEAD_LETTER_BUCKET: 'bundle-check',
  },
  // OPENSEARCH_ENDPOINT (the OpenSearch fake) comes with the emulators' variables.
  'kinesis-to-opensearch': { OPENSEARCH_DEAD_LETTER_BUCKET: 'bundle-check' },
  // The topic is created on fauxqs before the sample events run (sampleEventTopics).
  'kinesis-to-sns': {
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bundle-check-alerts',
    DEAD_LETTER_BUCKET: 'bundle-check',
  },
  // No CloudWatch emulator here: DRY_RUN against a stream kinesalite doesn't have ends in a caught, reported error.
  'shard-autoscaler': {
    DRY_RUN: 'true',
    ALARM_NAME_PREFIX: 'kinesis-lambda-kit-dev-autoscale-',
    AUTOSCALED_STREAMS: 'kinesis-lambda-kit-dev-autoscaled',
  },
};

/** DynamoDB tables (names, keys pk and sk: strings) to create on dynalite before the sample events run. */
export const sampleEventTables = ['bundle-check'];

/** Buckets to create before the sample events run. */
export const sampleEventBuckets = ['bundle-check'];

/** SNS topics (names) to create on fauxqs before the sample events run. */
export const sampleEventTopics = ['bundle-check-alerts'];

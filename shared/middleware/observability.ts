/**
 * The process-wide Powertools Logger and Metrics. Both read their settings from the standard Powertools
 * variables (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE,
 * POWERTOOLS_METRICS_DISABLED). Log lines carry coordinates and counts, never record payloads.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const serviceName =
  process.env.POWERTOOLS_SERVICE_NAME ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'kinesis-lambda-kit';

export const logger = new Logger({ serviceName });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'KinesisLambdaKit',
  serviceName,
});

export { MetricUnit };

/**
 * The kit's middy stack. A handler stays a plain async function of (event, context); this attaches the
 * cross-cutting concerns, top to bottom:
 *   1. configuration validated at init and before every invocation (a bad variable fails with its name),
 *   2. Powertools Logger context (function name, request id, cold start; keys reset per invocation),
 *   3. Powertools Metrics flushed as EMF after every invocation (plus a ColdStart metric),
 *   4. an error log line naming the error class, never the event payload.
 *
 * @example
 * ```ts
 * export const handler = kitHandler(async (event: KinesisStreamEvent) => run(event), { config });
 * ```
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { loggableMessage } from './errors';
import { asDeployed, ConfigError } from './config';
import { logger, metrics } from './observability';

export { ConfigError, defineConfig, type EnvReader, envReader } from './config';
export { loggableMessage, maskedMessage, SafeMessageError } from './errors';
export { logger, MetricUnit, metrics } from './observability';

export interface KitHandlerOptions {
  /** The function's config getter (from defineConfig); validated before the handler runs. */
  config?: () => unknown;
}

function validateConfig(config: () => unknown): MiddlewareObj {
  return {
    before: () => {
      config();
    },
  };
}

function logErrors(): MiddlewareObj {
  return {
    onError: (request) => {
      const error = request.error;
      logger.error('Invocation failed', {
        errorName: error?.name,
        errorMessage: loggableMessage(error),
      });
    },
  };
}

export function kitHandler<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
  options: KitHandlerOptions = {},
) {
  const stack = middy<TEvent, TResult>(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(logErrors());
  if (options.config) {
    // Validate during init (cold start), naming the variable the user set (CWL_OVERFLOW, not OVERFLOW).
    try {
      options.config();
    } catch (error) {
      configFailed(error instanceof ConfigError ? asDeployed(error) : (error as Error));
    }
    stack.use(validateConfig(options.config));
  }
  return stack;
}

/**
 * A configuration that fails at init. In Lambda (AWS_LAMBDA_RUNTIME_API is set) the init fails with the error.
 * Under `serverless invoke local` (AWS_LAMBDA_FUNCTION_NAME without a runtime API) the error goes out as one line
 * and the process exits 1 at once: thrown, osls would print a long stack and then never exit (its esbuild
 * service stays alive when an invocation fails). Elsewhere (tests, scripts that import the handler before
 * setting the environment) it is logged, and every invocation re-checks before the handler runs.
 */
function configFailed(error: Error): void {
  if (process.env.AWS_LAMBDA_RUNTIME_API) throw error;
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) {
    const line = error instanceof ConfigError ? error.message : `Invalid configuration: ${error.message}`;
    process.stderr.write(`${line}\n`);
    process.exit(1);
  }
  logger.error('Invalid configuration', {
    errorName: error.name,
    errorMessage: error.message,
    ...(error instanceof ConfigError &&
      error.functionVariable && { functionVariable: error.functionVariable }),
  });
}

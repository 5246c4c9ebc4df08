/**
 * The Lambda entry of a stream consumer: builds the consumer once per configuration (the config getter caches its
 * object, so a consumer is built at the first invocation and again only when tests reset the configuration), then
 * runs each batch through {@link processKinesisEvent} within the invocation's deadline.
 *
 * @example
 * ```ts
 * export const handler = kitHandler(
 *   consumerHandler(config, (settings) => ({ format: 'json', transform, sink, deadLetter })),
 *   { config },
 * );
 * ```
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { processKinesisEvent, type RecordFormat, type StreamConsumer } from './runner';

export function consumerHandler<S extends { deadlineMarginMs: number }, F extends RecordFormat, TOut>(
  config: () => S,
  build: (settings: S) => StreamConsumer<F, TOut>,
): (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse> {
  let built: { settings: S; consumer: StreamConsumer<F, TOut> } | undefined;
  return async (event, context) => {
    const settings = config();
    if (built?.settings !== settings) built = { settings, consumer: build(settings) };
    const { response } = await processKinesisEvent(event, built.consumer, {
      remainingTimeMs: () => context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
      deadlineMarginMs: settings.deadlineMarginMs,
    });
    return response;
  };
}

export { InvalidKinesisEventError, shardIdFromEventId, streamNameFromArn } from './event';
export {
  type BatchResult,
  type BatchSummary,
  type DecodedValue,
  processKinesisEvent,
  RecordDecodeError,
  type RecordFormat,
  type StreamConsumer,
} from './runner';
export { type FieldFilter, matchesFilter, parseFieldFilter, parseProjection, project } from './select';
export type * from './types';

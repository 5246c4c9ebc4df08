export { mapWithConcurrency } from './concurrency';
export { compileKeyTemplate, DEFAULT_KEY_TEMPLATE, type KeyParts, recordPosition } from './key-template';
export { createS3DeadLetterSink, deadLetterLine, type S3DeadLetterOptions } from './s3-dead-letter';
export {
  type Compression,
  createS3NdjsonSink,
  type PlannedObject,
  planObjects,
  type S3NdjsonSinkOptions,
  type ServerSideEncryption,
  sseParameters,
} from './s3-ndjson';

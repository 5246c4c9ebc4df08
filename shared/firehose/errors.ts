import { SafeMessageError } from '../middleware/errors';

/**
 * Errors a transform throws to reject one record. The runner answers the record ProcessingFailed with its
 * original data (Firehose writes it under the error output prefix) and logs `reason` with the record's
 * coordinates, so the message must describe the problem without quoting the payload.
 *
 * @example
 * ```ts
 * if (event.timestamp === undefined) throw new RecordRejectedError('field "timestamp" is missing');
 * ```
 */
export class RecordRejectedError extends SafeMessageError {
  override readonly name: string = 'RecordRejectedError';
  constructor(
    /** Why the record cannot be transformed; logged, never containing payload bytes. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

/** The record's bytes are not valid UTF-8 text. */
export class InvalidUtf8Error extends RecordRejectedError {
  override readonly name = 'InvalidUtf8Error';
  constructor() {
    super('data is not valid UTF-8');
  }
}

/** The record is not one valid JSON document. */
export class InvalidJsonError extends RecordRejectedError {
  override readonly name = 'InvalidJsonError';
}

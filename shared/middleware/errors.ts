/**
 * Error text that is safe to log. Errors thrown while handling a record can quote the record (V8's JSON.parse
 * messages do: `Unexpected token 'p', "payload..." is not valid JSON`), and logs must never carry payloads, so
 * quoted text is masked and the message is bounded.
 *
 * @example
 * ```ts
 * maskedMessage(new SyntaxError(`Unexpected token 'p', "pin=1234" is not valid JSON`));
 * // => `Unexpected token '…', "…" is not valid JSON`
 * ```
 */
export function maskedMessage(error: unknown, maxLength = 300): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/'(?:[^'\\]|\\.)*'/g, "'…'")
    .slice(0, maxLength);
}

/**
 * An error whose message is written to be logged as it is: it describes the problem and where (a column, a
 * field name, a limit) and never quotes the payload. Runners log such messages verbatim and mask anything else.
 *
 * @example
 * ```ts
 * throw new SafeMessageError(`field "timestamp" is missing`);
 * ```
 */
export class SafeMessageError extends Error {
  override readonly name: string = 'SafeMessageError';
}

/** The loggable text of any error: a {@link SafeMessageError}'s message as is, anything else masked. */
export function loggableMessage(error: unknown): string {
  return error instanceof SafeMessageError ? error.message : maskedMessage(error);
}

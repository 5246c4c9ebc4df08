/**
 * Error text that is safe to log. Errors thrown while handling a record can quote the record (V8's JSON.parse
 * messages do: `Unexpected token 'p', "payload..." is not valid JSON`), and logs must never carry payloads:
 * - a SyntaxError (what parsers throw, quoting the text they choke on) keeps only its position, if it gives one;
 * - any other message is cut to `maxLength` first (so masking costs nothing on a huge message), then every quoted
 *   stretch is masked, and an opening quote without its closing one masks everything after it (V8's snippet of
 *   `{"password": hunter2}` has unbalanced quotes, and a cut can fall inside a quotation).
 *
 * @example
 * ```ts
 * maskedMessage(new SyntaxError(`Unexpected token 'p', "pin=1234" is not valid JSON`));
 * // => `invalid syntax (no position given)`
 * maskedMessage(new Error(`Cannot read properties of undefined (reading 'pin')`));
 * // => `Cannot read properties of undefined (reading '…')`
 * ```
 */
export function maskedMessage(error: unknown, maxLength = 300): string {
  if (error instanceof SyntaxError) return syntaxErrorMessage(error.message);
  const message = error instanceof Error ? error.message : String(error);
  return maskQuoted(message.slice(0, maxLength));
}

/** A parser's message reduced to where it stopped: `invalid syntax at position 12`. */
function syntaxErrorMessage(message: unknown): string {
  const text = String(message);
  // V8 writes `... at position 12` or `... at position 12 (line 1 column 13)`: the last one is the parser's.
  const at = text.lastIndexOf('position ');
  const digits = at < 0 ? undefined : /^\d{1,12}/.exec(text.slice(at + 9, at + 21))?.[0];
  return digits === undefined ? 'invalid syntax (no position given)' : `invalid syntax at position ${digits}`;
}

/** Every `"..."` and `'...'` becomes `"…"` / `'…'`; an unclosed quote masks the rest of the text. */
function maskQuoted(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const quote = text[i];
    if (quote !== '"' && quote !== "'") continue;
    const close = text.indexOf(quote, i + 1);
    out += `${text.slice(from, i)}${quote}…`;
    if (close < 0) return out;
    out += quote;
    from = close + 1;
    i = close;
  }
  return out + text.slice(from);
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

/** The name of whatever was thrown, for logs: an Error's (or error-like object's) name, else its type (`null`). */
export function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  if (error === null) return 'null';
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : typeof error;
}

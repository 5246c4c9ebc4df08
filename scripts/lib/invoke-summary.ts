/**
 * The closing line of `npm run invoke`: what the handler's result means for the sample event's records, so a run
 * whose records all failed says so instead of ending on a bare `batchItemFailures` list.
 */

export interface InvokeSummary {
  text: string;
  /** Nothing was processed: every record failed, or the handler threw. */
  allFailed: boolean;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The JSON document `serverless invoke local` prints last (the handler's result), if any. */
export function lastJsonDocument(output: string): unknown {
  const text = output.trimEnd();
  if (!text.endsWith('}')) return undefined;
  // osls prints it indented, so only its own opening brace starts a line; log lines before it are JSON too.
  const start = text.lastIndexOf('\n{') + 1;
  try {
    return JSON.parse(text.slice(start));
  } catch {
    return undefined;
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The line for `result` of invoking `name` with `event`; undefined for results that are not about records. */
export function invokeSummary(name: string, event: unknown, result: unknown): InvokeSummary | undefined {
  if (!isObject(result)) return undefined;
  if (typeof result.errorMessage === 'string') {
    const type = typeof result.errorType === 'string' ? `${result.errorType}: ` : '';
    return { text: `${name}: the handler threw (${type}${result.errorMessage})`, allFailed: true };
  }
  const records = isObject(event) && Array.isArray(event.Records) ? (event.Records as unknown[]) : undefined;
  if (Array.isArray(result.batchItemFailures) && records) {
    const total = records.length;
    const failures = (result.batchItemFailures as unknown[]).map((f) => (isObject(f) ? f.itemIdentifier : f));
    if (failures.length === 0) {
      return {
        text: `${name}: all ${plural(total, 'record')} processed, no batchItemFailures`,
        allFailed: false,
      };
    }
    // A Kinesis event source mapping retries from the lowest failed sequence number: that record and all after it.
    const ids = records.map((r) =>
      isObject(r) && isObject(r.kinesis) ? r.kinesis.sequenceNumber : undefined,
    );
    const indexes = failures.map((id) => ids.indexOf(id as string)).filter((i) => i >= 0);
    const failed = indexes.length > 0 ? total - Math.min(...indexes) : failures.length;
    if (failed >= total) {
      return {
        text: `${name}: all ${plural(total, 'record')} failed, none processed; Lambda would retry the whole batch (the ERROR lines above say why)`,
        allFailed: true,
      };
    }
    return {
      text: `${name}: ${total - failed} of ${plural(total, 'record')} processed; Lambda would retry the other ${failed} (batchItemFailures)`,
      allFailed: false,
    };
  }
  if (Array.isArray(result.records)) {
    const counts = { Ok: 0, Dropped: 0, ProcessingFailed: 0 };
    for (const record of result.records as unknown[]) {
      const status = isObject(record) ? String(record.result) : '';
      if (status in counts) counts[status as keyof typeof counts] += 1;
    }
    const total = result.records.length;
    const allFailed = total > 0 && counts.ProcessingFailed === total;
    const text = allFailed
      ? `${name}: all ${plural(total, 'record')} ProcessingFailed, none transformed (the WARN lines above say why)`
      : `${name}: ${total} records: ${counts.Ok} Ok, ${counts.Dropped} Dropped, ${counts.ProcessingFailed} ProcessingFailed`;
    return { text, allFailed };
  }
  return undefined;
}

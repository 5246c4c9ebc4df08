/**
 * Error text in logs: maskedMessage / loggableMessage (shared/middleware/errors), and the places that log an
 * error's message (kitHandler's error log, the Firehose runner's and re-ingestion's logs) never carry payload.
 */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resetClients } from '../../shared/aws/clients';
import { ok, processFirehoseEvent, reingestHook } from '../../shared/firehose';
import { kitHandler, loggableMessage, maskedMessage, SafeMessageError } from '../../shared/middleware';
import { errorName } from '../../shared/middleware/errors';
import { logger } from '../../shared/middleware/observability';
import { fakeContext, firehoseEvent } from '../support/firehose-events';

const SECRET = 'hunter2';

function thrownBy(parse: () => unknown): unknown {
  try {
    parse();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('maskedMessage', () => {
  it("keeps only the position of a SyntaxError: V8's snippet can have unbalanced quotes", () => {
    const unbalanced = thrownBy(() => JSON.parse(`{"password": ${SECRET}}`));
    expect((unbalanced as Error).message).toContain(SECRET);
    expect(maskedMessage(unbalanced)).toBe('invalid syntax (no position given)');
    const positioned = thrownBy(() => JSON.parse(`{"password": "${SECRET}",}`));
    expect(maskedMessage(positioned)).toMatch(/^invalid syntax at position \d+$/);
  });

  it('masks quoted text, and everything after a quote that is not closed', () => {
    expect(maskedMessage(new TypeError(`cannot use "${SECRET}" or '${SECRET}'`))).toBe(
      `cannot use "…" or '…'`,
    );
    expect(maskedMessage(new Error(`bad value "${SECRET} near the end`))).toBe('bad value "…');
    // Cut inside a quotation: the closing quote is past the cut.
    const cut = maskedMessage(new Error(`${'x'.repeat(290)} "${SECRET}${SECRET}"`));
    expect(cut).not.toContain('hunter');
    expect(cut.length).toBeLessThanOrEqual(300);
  });

  it('cuts before masking: a 160,000-character message takes milliseconds', () => {
    // Every quote escaped and none closed: the old masking regexes rescanned to the end from each one (~13 s).
    const nasty = new Error('\\"'.repeat(80_000));
    const syntax = new SyntaxError(`${'\\"'.repeat(80_000)} at position 7`);
    const started = performance.now();
    expect(maskedMessage(nasty).length).toBeLessThan(500);
    expect(maskedMessage(syntax)).toBe('invalid syntax at position 7');
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('loggableMessage keeps a SafeMessageError as written', () => {
    expect(loggableMessage(new SafeMessageError('field "amount" is missing'))).toBe(
      'field "amount" is missing',
    );
    expect(loggableMessage(new Error('field "amount" is missing'))).toBe('field "…" is missing');
  });
});

describe('errorName', () => {
  it("is an Error's name, a name-carrying object's name, or the type of anything else", () => {
    expect(errorName(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe(
      'ThrottlingException',
    );
    expect(errorName(new TypeError('x'))).toBe('TypeError');
    expect(errorName({ name: 'AbortError' })).toBe('AbortError');
    expect(errorName({ name: 7 })).toBe('object');
    expect(errorName(null)).toBe('null');
    expect(errorName(undefined)).toBe('undefined');
    expect(errorName('socket hang up')).toBe('string');
  });
});

describe('error logs carry no payload', () => {
  const firehose = mockClient(FirehoseClient);
  afterEach(() => {
    vi.restoreAllMocks();
    firehose.reset();
    resetClients();
  });
  const logged = (spy: { mock: { calls: unknown[][] } }) => JSON.stringify(spy.mock.calls);

  it("kitHandler's 'Invocation failed' line", async () => {
    const error = vi.spyOn(logger, 'error');
    const handler = kitHandler(async (event: { body: string }) => JSON.parse(event.body));
    await expect(handler({ body: `{"password": ${SECRET}}` }, fakeContext())).rejects.toThrow(SyntaxError);
    expect(error).toHaveBeenCalledWith('Invocation failed', {
      errorName: 'SyntaxError',
      errorMessage: 'invalid syntax (no position given)',
    });
  });

  it("the Firehose runner's log of a failing re-ingestion hook", async () => {
    const error = vi.spyOn(logger, 'error');
    await processFirehoseEvent(firehoseEvent(['a']), () => ok(Buffer.alloc(100)), {
      maxResponseBytes: 100,
      onOverflow: async () => {
        throw new Error(`could not store "${SECRET}"`);
      },
    });
    expect(logged(error)).toContain('could not store \\"…\\"');
    expect(logged(error)).not.toContain(SECRET);
  });

  it("re-ingestion's logs of a rejected call and of a record that could not be prepared", async () => {
    const warn = vi.spyOn(logger, 'warn');
    firehose.on(PutRecordBatchCommand).rejects(
      Object.assign(new Error(`Value '${SECRET}' at 'records.1.member.data'`), {
        name: 'ValidationException',
      }),
    );
    const hook = reingestHook({
      toEntries: ({ record }) => {
        if (record.index === 2) throw new Error(`cannot split "${SECRET}"`);
        return [record.data];
      },
    });
    // Each output fits a 600-byte response alone, but only the first fits beside the others.
    const result = await processFirehoseEvent(firehoseEvent(['a', 'b', 'c']), () => ok(Buffer.alloc(200)), {
      maxResponseBytes: 600,
      onOverflow: hook,
      lambdaContext: fakeContext(),
    });
    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed', 'ProcessingFailed']);
    expect(logged(warn)).toContain("ValidationException: Value '…' at '…'");
    expect(logged(warn)).toContain('cannot split \\"…\\"');
    expect(logged(warn)).not.toContain(SECRET);
  });
});

/**
 * The OpenSearch fake answers as OpenSearch's bulk API is documented to (driven through the real signed client):
 * the response shape, per-item statuses for index/create/delete, and the request-level 400 for a malformed body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenSearchClient } from '../../../shared/sinks/opensearch';
import { type OpenSearchFake, startOpenSearchFake } from '../../support/opensearch-fake';

let fake: OpenSearchFake;
let client: ReturnType<typeof createOpenSearchClient>;
beforeAll(async () => {
  fake = await startOpenSearchFake({ service: 'es', region: 'us-east-1' });
  client = createOpenSearchClient({ endpoint: fake.endpoint, region: 'us-east-1', service: 'es' });
});
afterAll(async () => {
  await client.close();
  await fake.close();
});

async function bulk(body: string) {
  try {
    const answer = await client.transport.request({ method: 'POST', path: '/_bulk', bulkBody: body });
    return { status: answer.statusCode, body: answer.body as Record<string, unknown> };
  } catch (error) {
    const meta = (error as { meta: { statusCode: number; body: Record<string, unknown> } }).meta;
    return { status: meta.statusCode, body: meta.body };
  }
}

describe('the OpenSearch fake', () => {
  it('answers 200 with took, errors and one item per action, keyed by the action, with per-item statuses', async () => {
    const answer = await bulk(
      [
        '{"index":{"_index":"i","_id":"1"}}',
        '{"n":1}',
        '{"create":{"_index":"i","_id":"1"}}',
        '{"n":2}',
        '{"delete":{"_index":"i","_id":"2"}}',
        '{"index":{"_index":"i","_id":"1"}}',
        '{"n":"not a number"}',
        '',
      ].join('\n'),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ took: expect.any(Number), errors: true });
    const items = answer.body.items as Array<Record<string, Record<string, unknown>>>;
    expect(items.map((item) => Object.keys(item)[0])).toEqual(['index', 'create', 'delete', 'index']);
    expect(items[0]!.index).toMatchObject({
      _index: 'i',
      _id: '1',
      _version: 1,
      result: 'created',
      status: 201,
    });
    expect(items[1]!.create).toMatchObject({
      status: 409,
      error: { type: 'version_conflict_engine_exception' },
    });
    expect(items[2]!.delete).toMatchObject({ result: 'not_found', status: 404 });
    expect(items[3]!.index).toMatchObject({
      status: 400,
      error: {
        type: 'mapper_parsing_exception',
        reason:
          "failed to parse field [n] of type [long] in document with id '1'. Preview of field's value: 'not a number'",
      },
    });
    expect(fake.documents.get('i')!.get('1')!.source).toBe('{"n":1}');
  });

  it('refuses a malformed body as a whole: 400 illegal_argument_exception', async () => {
    const unterminated = await bulk('{"index":{"_index":"i","_id":"9"}}\n{"n":9}');
    expect(unterminated.status).toBe(400);
    expect(unterminated.body).toEqual({
      error: {
        root_cause: [
          {
            type: 'illegal_argument_exception',
            reason: 'The bulk request must be terminated by a newline [\\n]',
          },
        ],
        type: 'illegal_argument_exception',
        reason: 'The bulk request must be terminated by a newline [\\n]',
      },
      status: 400,
    });
    const unknownAction = await bulk('{"upsert":{"_index":"i"}}\n{}\n');
    expect(unknownAction.status).toBe(400);
    expect((unknownAction.body.error as { reason: string }).reason).toContain(
      'expected field [create], [delete], [index] or [update] but found [upsert]',
    );
    expect(fake.documents.get('i')!.has('9')).toBe(false);
  });
});

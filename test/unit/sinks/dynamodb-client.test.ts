/**
 * The DynamoDB sink over the shared client (no `client` option), against a DynamoDB JSON endpoint in this process:
 * the requests as they go on the wire (marshalled by lib-dynamodb, undefined attributes left out), unprocessed items
 * matched back from DynamoDB's own answer (numbers unmarshalled exactly), and the client rebuilt when the shared one
 * is replaced.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetClients } from '../../../shared/aws/clients';
import type { RecordCoordinates } from '../../../shared/kinesis/types';
import { createDynamoDbSink } from '../../../shared/sinks/dynamodb';

interface Request {
  path: string;
  target: string;
  body: Record<string, unknown>;
}
const requests: Request[] = [];
let answer: (request: Request, n: number) => object = () => ({});
let server: Server;
const VARIABLES = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const request = {
        path: req.url!,
        target: String(req.headers['x-amz-target']).split('.')[1]!,
        body: JSON.parse(text),
      };
      requests.push(request);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(answer(request, requests.length)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  resetClients();
});
afterEach(() => {
  requests.length = 0;
  answer = () => ({});
});
afterAll(async () => {
  for (const name of VARIABLES)
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  resetClients();
  await new Promise((resolve) => server.close(resolve));
});

const at = (sequenceNumber: string): RecordCoordinates => ({
  stream: 's',
  shardId: 'shardId-000000000000',
  sequenceNumber,
  subSequenceNumber: 0,
  partitionKey: 'k',
  approximateArrivalTimestamp: 0,
});
const budget = () => ({ remainingTimeMs: () => 60_000 });

describe('createDynamoDbSink over the shared client', () => {
  it('marshals the items, leaving undefined attributes out, in both modes', async () => {
    const items = [
      { coordinates: at('10'), value: { pk: 'a', n: 1, gone: undefined, m: { c: undefined, d: 1 } } },
    ];
    for (const mode of ['batch', 'ordered'] as const) {
      const sink = createDynamoDbSink({ tableName: 'devices', keyAttributes: ['pk'], mode });
      expect(await sink.write(items, budget())).toEqual({ failed: [], rejected: [] });
    }
    expect(requests.map((request) => request.target)).toEqual(['BatchWriteItem', 'PutItem']);
    expect(requests[0]!.body.RequestItems).toEqual({
      devices: [{ PutRequest: { Item: { pk: { S: 'a' }, n: { N: '1' }, m: { M: { d: { N: '1' } } } } } }],
    });
    expect(requests[1]!.body.Item).toEqual({
      pk: { S: 'a' },
      n: { N: '1' },
      m: { M: { d: { N: '1' } } },
      _seqKey: { S: '002:10:0000000000' },
    });
  });

  it('matches an unprocessed item with a number key of 20 significant digits back to its put, and sends only that one again', async () => {
    const big = '1.2345678901234567891';
    answer = (request, n) =>
      n === 1 ? { UnprocessedItems: { devices: [{ PutRequest: { Item: { pk: { N: big } } } }] } } : {};
    const sink = createDynamoDbSink({
      tableName: 'devices',
      keyAttributes: ['pk'],
      baseBackoffMs: 1,
      maxBackoffMs: 1,
    });
    const result = await sink.write(
      [
        { coordinates: at('10'), value: { pk: new NumberValue(big) } },
        { coordinates: at('11'), value: { pk: 7 } },
      ],
      budget(),
    );
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(requests).toHaveLength(2);
    expect(requests[1]!.body.RequestItems).toEqual({
      devices: [{ PutRequest: { Item: { pk: { N: big } } } }],
    });
  });

  it('writes through the new shared client once the old one is replaced', async () => {
    const sink = createDynamoDbSink({ tableName: 'devices', keyAttributes: ['pk'] });
    await sink.write([{ coordinates: at('10'), value: { pk: 'a' } }], budget());
    const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB!;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = `${endpoint}/replaced`;
    try {
      resetClients();
      expect(await sink.write([{ coordinates: at('11'), value: { pk: 'b' } }], budget())).toEqual({
        failed: [],
        rejected: [],
      });
    } finally {
      process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
      resetClients();
    }
    expect(requests.map((request) => request.path)).toEqual(['/', '/replaced/']);
  });
});

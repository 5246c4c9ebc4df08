/**
 * Starts the local AWS emulators in-process, each on a free port (port 0): kinesalite (Kinesis), dynalite
 * (DynamoDB), s3rver (S3) and fauxqs (SNS + SQS), plus the wire-level OpenSearch fake (./opensearch-fake.ts: no
 * OpenSearch server can run here; OPENSEARCH_ENDPOINT points at it). Used by the vitest global setup and by `npm start`.
 *
 * `env` holds the standard AWS_ENDPOINT_URL_<SERVICE> variables plus credentials s3rver accepts; merge it into
 * process.env and the kit's client factories (shared/aws/clients) talk to the emulators.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import kinesalite from 'kinesalite';
import S3rver from 's3rver';
import { type OpenSearchFake, startOpenSearchFake } from './opensearch-fake';

export interface Emulators {
  endpoints: { kinesis: string; dynamodb: string; s3: string; sns: string; sqs: string; opensearch: string };
  /** Variables that point the AWS SDK (and `serverless invoke local`) at the emulators. */
  env: Record<string, string>;
  /** Where s3rver keeps objects on disk (one folder per bucket). */
  s3Directory: string;
  /** fauxqs' handle (message spies, createTopic, ...). */
  fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
  /** The OpenSearch fake (a wire-level fake, not OpenSearch): its documents, requests and fault injection. */
  opensearch: OpenSearchFake;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** s3rver's folder; a fresh temp folder (removed on stop) when omitted. */
  s3Directory?: string;
}

interface Listener {
  listen(port: number, host: string, callback: () => void): void;
  address(): AddressInfo | string | null;
  close(callback?: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}

async function listen(server: Listener): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

const close = (server: Listener) => new Promise<void>((resolve) => server.close(() => resolve()));

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  // createStreamMs/updateStreamMs 0: streams are ACTIVE at once, as tests expect.
  const kinesisServer = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    // One kinesalite serves the whole test run (every file creates its own streams, shards are never freed):
    // room for all of them. Tests of AWS's account shard limit use the scaling proxy's own limit.
    shardLimit: 2_000,
  });
  const dynamoServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const ownS3Directory = options.s3Directory === undefined;
  const s3Directory = options.s3Directory ?? mkdtempSync(join(tmpdir(), 'klk-s3-'));
  const s3Server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3Directory });

  const [kinesis, dynamodb, s3Address, fauxqs, opensearch] = await Promise.all([
    listen(kinesisServer as unknown as Listener),
    listen(dynamoServer as unknown as Listener),
    s3Server.run(),
    startFauxqs({ port: 0, logger: false, messageSpies: true }),
    startOpenSearchFake({ service: 'es', region: 'us-east-1' }),
  ]);
  const s3 = `http://127.0.0.1:${(s3Address as AddressInfo).port}`;
  const fauxqsUrl = `http://127.0.0.1:${fauxqs.port}`;
  const endpoints = {
    kinesis,
    dynamodb,
    s3,
    sns: fauxqsUrl,
    sqs: fauxqsUrl,
    opensearch: opensearch.endpoint,
  };
  const env = {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    // s3rver verifies signatures against these; the other emulators accept any credentials.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_KINESIS: kinesis,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb,
    AWS_ENDPOINT_URL_S3: s3,
    AWS_ENDPOINT_URL_SNS: fauxqsUrl,
    AWS_ENDPOINT_URL_SQS: fauxqsUrl,
    // Not an AWS SDK variable: kinesis-to-opensearch's endpoint (the fake checks SigV4 for service `es`).
    OPENSEARCH_ENDPOINT: opensearch.endpoint,
    // Local runs may be on Node 20; the deployed runtime is nodejs22.x, so the SDK's Node 20 notice is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return {
    endpoints,
    env,
    s3Directory,
    fauxqs,
    opensearch,
    async stop() {
      await Promise.allSettled([
        close(kinesisServer as unknown as Listener),
        close(dynamoServer as unknown as Listener),
        s3Server.close(),
        fauxqs.stop(),
        opensearch.close(),
      ]);
      if (ownS3Directory) rmSync(s3Directory, { recursive: true, force: true });
    },
  };
}

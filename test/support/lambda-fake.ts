/**
 * A wire-level Lambda fake for the one call the shard autoscaler makes to Lambda (no emulator here runs Lambda's
 * control plane): an HTTP server speaking the REST-JSON protocol of @aws-sdk/client-lambda v3.
 *
 *   PUT /2017-10-31/functions/{FunctionName}/concurrency   body {"ReservedConcurrentExecutions": n}
 *     200 {"ReservedConcurrentExecutions": n}
 *     404 ResourceNotFoundException       for a function not created with addFunction() (by name or ARN)
 *     400 InvalidParameterValueException  for a negative or non-integer value, or one that would leave the account
 *                                         less than 100 unreserved executions (Lambda's rule)
 * Any call can be made to fail with failNext(). Every request is recorded in `calls`.
 *
 * @example
 * ```ts
 * const lambda = await startLambdaFake();
 * lambda.addFunction('orders-consumer');
 * process.env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LambdaFakeError {
  /** The exception name (x-amzn-errortype): ResourceNotFoundException, TooManyRequestsException, ... */
  type: string;
  status: number;
  message?: string;
}

export const LAMBDA_ERRORS = {
  resourceNotFound: { type: 'ResourceNotFoundException', status: 404 },
  invalidParameterValue: { type: 'InvalidParameterValueException', status: 400 },
  tooManyRequests: { type: 'TooManyRequestsException', status: 429 },
  service: { type: 'ServiceException', status: 500 },
} satisfies Record<string, LambdaFakeError>;

export interface LambdaFake {
  endpoint: string;
  /** Reserved concurrency by function name (undefined: none set). */
  concurrency: Map<string, number | undefined>;
  calls: Array<{ operation: string; functionName: string; input: Record<string, unknown> }>;
  addFunction(name: string): void;
  /** The next call fails with `error` (queued: call several times for several failures). */
  failNext(error: LambdaFakeError): void;
  reset(): void;
  stop(): Promise<void>;
}

const CONCURRENCY_PATH = /^\/2017-10-31\/functions\/([^/]+)\/concurrency$/;
/** Lambda keeps at least this many executions of the account unreserved. */
const MIN_UNRESERVED = 100;

class LambdaError extends Error {
  constructor(
    readonly error: LambdaFakeError,
    message: string,
  ) {
    super(message);
  }
}

export async function startLambdaFake(options: { accountConcurrency?: number } = {}): Promise<LambdaFake> {
  const accountConcurrency = options.accountConcurrency ?? 1000;
  const concurrency = new Map<string, number | undefined>();
  const calls: LambdaFake['calls'] = [];
  const failures: LambdaFakeError[] = [];

  /** A function name, a full ARN or a partial ARN (account:function:name) -> the name. */
  const nameOf = (identifier: string) => {
    const match = /(?:^|:)function:([^:]+)$/.exec(identifier);
    return match ? match[1]! : identifier;
  };

  function putFunctionConcurrency(functionName: string, input: Record<string, unknown>) {
    const value = input.ReservedConcurrentExecutions;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new LambdaError(
        LAMBDA_ERRORS.invalidParameterValue,
        `ReservedConcurrentExecutions must be an integer >= 0 (got ${JSON.stringify(value)})`,
      );
    }
    const name = nameOf(functionName);
    if (!concurrency.has(name)) {
      throw new LambdaError(LAMBDA_ERRORS.resourceNotFound, `Function not found: ${functionName}`);
    }
    let reservedElsewhere = 0;
    for (const [other, reserved] of concurrency) if (other !== name) reservedElsewhere += reserved ?? 0;
    if (reservedElsewhere + value > accountConcurrency - MIN_UNRESERVED) {
      throw new LambdaError(
        LAMBDA_ERRORS.invalidParameterValue,
        `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED}].`,
      );
    }
    concurrency.set(name, value);
    return { ReservedConcurrentExecutions: value };
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        response.writeHead(status, {
          'content-type': 'application/json',
          'x-amzn-requestid': `fake-${calls.length}`,
          ...headers,
        });
        response.end(JSON.stringify(body));
      };
      const path = new URL(request.url ?? '/', 'http://fake').pathname;
      const match = CONCURRENCY_PATH.exec(path);
      if (request.method !== 'PUT' || !match) {
        send(
          404,
          { Type: 'User', message: `${request.method} ${path}: not in this fake` },
          { 'x-amzn-errortype': 'UnknownOperationException' },
        );
        return;
      }
      const functionName = decodeURIComponent(match[1]!);
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        const input = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
        calls.push({ operation: 'PutFunctionConcurrency', functionName, input });
        const failure = failures.shift();
        if (failure) throw new LambdaError(failure, failure.message ?? failure.type);
        send(200, putFunctionConcurrency(functionName, input));
      } catch (error) {
        const fault =
          error instanceof LambdaError
            ? error
            : new LambdaError(LAMBDA_ERRORS.invalidParameterValue, (error as Error).message);
        send(
          fault.error.status,
          { Type: fault.error.status >= 500 ? 'Service' : 'User', message: fault.message },
          { 'x-amzn-errortype': fault.error.type },
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    concurrency,
    calls,
    addFunction(name) {
      if (!concurrency.has(name)) concurrency.set(name, undefined);
    },
    failNext(error) {
      failures.push(error);
    },
    reset() {
      concurrency.clear();
      calls.length = 0;
      failures.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

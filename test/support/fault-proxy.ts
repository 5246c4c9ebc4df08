/**
 * A fault-injecting HTTP proxy for integration tests: it sits in front of an emulator (s3rver, dynalite,
 * kinesalite, fauxqs) or a wire-level fake, forwards every request unchanged (Host header included, so SigV4
 * signatures still verify), and lets a test make chosen requests fail the way networks and services fail:
 *
 * - `hang`: the request is read and never answered (the socket stays open until the proxy closes);
 * - `reset`: the connection is destroyed without a response (ECONNRESET at the client);
 * - `respond`: a canned status, headers and body instead of the target's (throttling, 5xx, 413...);
 * - `delay`: forwarded after a pause;
 * - `intercept`: the test's own handler answers, and may forward a changed request first (e.g. DynamoDB's
 *   UnprocessedItems: forward part of a BatchWriteItem and answer the rest unprocessed).
 *
 * Point a client at `proxy.url` (e.g. AWS_ENDPOINT_URL_S3) and add rules; the first rule that matches a request
 * and has uses left applies. Every request is recorded (method, path, the fault applied) so tests can count
 * calls the real SDK made, retries included.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy(emulators.endpoints.s3);
 * proxy.add({ match: (r) => r.method === 'PUT' && r.path.includes('/dead-letter/'), fault: { kind: 'hang' } });
 * ```
 */
import { request as httpRequest, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Path and query string, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ProxiedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type Fault =
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'respond'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'delay'; ms: number }
  | {
      kind: 'intercept';
      /** Answers the request; `forward` sends it (or a changed body) to the target and returns the answer. */
      handle(
        request: ProxiedRequest,
        forward: (body?: Buffer) => Promise<ProxiedResponse>,
      ): Promise<ProxiedResponse>;
    };

export interface FaultRule {
  match: (request: ProxiedRequest) => boolean;
  fault: Fault;
  /** How many requests the rule applies to (unlimited when omitted). */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  fault?: Fault['kind'];
}

export interface FaultProxy {
  url: string;
  add(rule: FaultRule): void;
  clear(): void;
  /** Every request seen, in arrival order. */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const rules: Array<FaultRule & { used: number }> = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const incoming: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      const rule = rules.find((candidate) => {
        if (candidate.times !== undefined && candidate.used >= candidate.times) return false;
        return candidate.match(incoming);
      });
      if (rule) rule.used += 1;
      requests.push({ method: incoming.method, path: incoming.path, fault: rule?.fault.kind });
      const fault = rule?.fault;
      if (fault?.kind === 'hang') return; // never answered
      if (fault?.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'respond') {
        res.writeHead(fault.status, fault.headers ?? {});
        res.end(fault.body ?? '');
        return;
      }
      const send = (body: Buffer) =>
        new Promise<ProxiedResponse>((resolve, reject) => {
          const upstream = httpRequest(
            {
              host: targetUrl.hostname,
              port: targetUrl.port,
              method: incoming.method,
              path: incoming.path,
              headers: { ...incoming.headers, 'content-length': String(body.length) },
            },
            (answer) => {
              const chunks: Buffer[] = [];
              answer.on('data', (chunk: Buffer) => chunks.push(chunk));
              answer.on('end', () =>
                resolve({
                  status: answer.statusCode ?? 502,
                  headers: Object.fromEntries(
                    Object.entries(answer.headers).map(([key, value]) => [key, String(value)]),
                  ),
                  body: Buffer.concat(chunks),
                }),
              );
            },
          );
          upstream.on('error', reject);
          upstream.end(body);
        });
      if (fault?.kind === 'intercept') {
        fault
          .handle(incoming, (body) => send(body ?? incoming.body))
          .then(
            (answer) => {
              res.writeHead(answer.status, {
                ...answer.headers,
                'content-length': String(answer.body.length),
              });
              res.end(answer.body);
            },
            () => req.socket.destroy(),
          );
        return;
      }
      const forward = () => {
        const upstream = httpRequest(
          {
            host: targetUrl.hostname,
            port: targetUrl.port,
            method: incoming.method,
            path: incoming.path,
            headers: incoming.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => req.socket.destroy());
        upstream.end(incoming.body);
      };
      if (fault?.kind === 'delay') setTimeout(forward, fault.ms);
      else forward();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    add: (rule) => rules.push({ ...rule, used: 0 }),
    clear: () => {
      rules.length = 0;
      requests.length = 0;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A wire-level EventBridge Scheduler fake for the one call the shard autoscaler makes to it (no emulator here runs
 * Scheduler): an HTTP server speaking the REST-JSON protocol of @aws-sdk/client-scheduler v3.
 *
 *   POST /schedules/{Name}   body: GroupName, ScheduleExpression, ScheduleExpressionTimezone, FlexibleTimeWindow,
 *                            Target {Arn, RoleArn, Input, RetryPolicy}, ActionAfterCompletion, Description, ClientToken
 *     200 {"ScheduleArn": "arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>"}
 *     409 ConflictException       a schedule of that name exists in the group
 *     404 ResourceNotFoundException  the group does not exist (only `default` and the groups added with addGroup())
 *     400 ValidationException     a name outside 1-64 [0-9a-zA-Z-_.], an expression that is not at()/rate()/cron(),
 *                                 no FlexibleTimeWindow.Mode, no Target.Arn or Target.RoleArn, an Input that is not
 *                                 JSON
 * Any call can be made to fail with failNext(). `due(now)` lists (and, as ActionAfterCompletion DELETE does, removes)
 * the at() schedules whose time has come: a test applies their targets itself.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SchedulerFakeError {
  type: string;
  status: number;
  message?: string;
}

export const SCHEDULER_ERRORS = {
  conflict: { type: 'ConflictException', status: 409 },
  notFound: { type: 'ResourceNotFoundException', status: 404 },
  validation: { type: 'ValidationException', status: 400 },
  accessDenied: { type: 'AccessDeniedException', status: 403 },
  throttling: { type: 'ThrottlingException', status: 429 },
} satisfies Record<string, SchedulerFakeError>;

export interface FakeSchedule {
  name: string;
  group: string;
  expression: string;
  /** at(): its time (epoch ms, UTC). */
  at?: number;
  target: { Arn: string; RoleArn: string; Input?: string };
  actionAfterCompletion?: string;
  input: Record<string, unknown>;
}

export interface SchedulerFake {
  endpoint: string;
  /** By `<group>/<name>`. */
  schedules: Map<string, FakeSchedule>;
  calls: Array<{ operation: string; name: string; input: Record<string, unknown> }>;
  addGroup(name: string): void;
  failNext(error: SchedulerFakeError): void;
  /** The at() schedules due at `now` (epoch ms); those with ActionAfterCompletion DELETE are removed. */
  due(now: number): FakeSchedule[];
  reset(): void;
  stop(): Promise<void>;
}

const SCHEDULE_PATH = /^\/schedules\/([^/]+)$/;
const NAME = /^[0-9a-zA-Z._-]{1,64}$/;
const AT = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;

class SchedulerError extends Error {
  constructor(
    readonly error: SchedulerFakeError,
    message: string,
  ) {
    super(message);
  }
}

export async function startSchedulerFake(
  options: { region?: string; account?: string } = {},
): Promise<SchedulerFake> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const schedules = new Map<string, FakeSchedule>();
  const groups = new Set(['default']);
  const calls: SchedulerFake['calls'] = [];
  const failures: SchedulerFakeError[] = [];

  function createSchedule(name: string, input: Record<string, unknown>) {
    const invalid = (message: string) => new SchedulerError(SCHEDULER_ERRORS.validation, message);
    if (!NAME.test(name)) throw invalid(`Name must match ${NAME} (got ${name})`);
    const group = typeof input.GroupName === 'string' ? input.GroupName : 'default';
    if (!groups.has(group))
      throw new SchedulerError(SCHEDULER_ERRORS.notFound, `Schedule group ${group} does not exist.`);
    const expression = String(input.ScheduleExpression ?? '');
    const at = AT.exec(expression);
    if (!at && !/^(rate|cron)\(.+\)$/.test(expression))
      throw invalid(`Invalid Schedule Expression ${expression}.`);
    if (input.ScheduleExpressionTimezone !== undefined && input.ScheduleExpressionTimezone !== 'UTC') {
      throw invalid('this fake knows only the UTC timezone');
    }
    const window = input.FlexibleTimeWindow as { Mode?: string } | undefined;
    if (window?.Mode !== 'OFF' && window?.Mode !== 'FLEXIBLE')
      throw invalid('FlexibleTimeWindow.Mode is required');
    const target = input.Target as FakeSchedule['target'] | undefined;
    if (!target?.Arn || !target.RoleArn) throw invalid('Target.Arn and Target.RoleArn are required');
    if (target.Input !== undefined) {
      try {
        JSON.parse(target.Input);
      } catch {
        throw invalid('Target.Input is not valid JSON');
      }
    }
    const key = `${group}/${name}`;
    if (schedules.has(key))
      throw new SchedulerError(SCHEDULER_ERRORS.conflict, `Schedule ${name} already exists.`);
    schedules.set(key, {
      name,
      group,
      expression,
      ...(at ? { at: Date.parse(`${at[1]}Z`) } : {}),
      target,
      ...(typeof input.ActionAfterCompletion === 'string'
        ? { actionAfterCompletion: input.ActionAfterCompletion }
        : {}),
      input,
    });
    return { ScheduleArn: `arn:aws:scheduler:${region}:${account}:schedule/${group}/${name}` };
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
      const fail = (error: SchedulerFakeError, message: string) =>
        send(error.status, { Message: message }, { 'x-amzn-errortype': error.type });
      const path = new URL(request.url ?? '/', 'http://fake').pathname;
      const match = SCHEDULE_PATH.exec(path);
      if (request.method !== 'POST' || !match) {
        send(
          404,
          { Message: `${request.method} ${path}: not in this fake` },
          {
            'x-amzn-errortype': 'UnknownOperationException',
          },
        );
        return;
      }
      const name = decodeURIComponent(match[1]!);
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        fail(SCHEDULER_ERRORS.validation, 'body is not JSON');
        return;
      }
      calls.push({ operation: 'CreateSchedule', name, input });
      const injected = failures.shift();
      if (injected) {
        fail(injected, injected.message ?? injected.type);
        return;
      }
      try {
        send(200, createSchedule(name, input));
      } catch (error) {
        if (error instanceof SchedulerError) fail(error.error, error.message);
        else fail({ type: 'InternalServerException', status: 500 }, String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    schedules,
    calls,
    addGroup: (name) => void groups.add(name),
    failNext: (error) => void failures.push(error),
    due(now) {
      const due = [...schedules.entries()].filter(([, s]) => s.at !== undefined && s.at <= now);
      for (const [key, schedule] of due)
        if (schedule.actionAfterCompletion === 'DELETE') schedules.delete(key);
      return due.map(([, schedule]) => schedule);
    },
    reset() {
      schedules.clear();
      calls.length = 0;
      failures.length = 0;
    },
    stop: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

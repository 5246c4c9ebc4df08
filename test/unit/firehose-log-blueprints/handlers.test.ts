/**
 * The four Firehose log blueprints invoked through their exported `handler` (middy stack included) with their
 * sample events, and with bad input: every recordId answered once, in order; failures are ProcessingFailed with
 * the original data and a logged reason; the handler never throws for bad records.
 */
import { readFileSync } from 'node:fs';
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { config as apacheCsvConfig } from '../../../functions/firehose-apache-log-to-csv/config';
import { handler as apacheToCsv } from '../../../functions/firehose-apache-log-to-csv/handler';
import { handler as apacheToJson } from '../../../functions/firehose-apache-log-to-json/handler';
import { config as syslogCsvConfig } from '../../../functions/firehose-syslog-to-csv/config';
import { handler as syslogToCsv } from '../../../functions/firehose-syslog-to-csv/handler';
import { handler as syslogToJson } from '../../../functions/firehose-syslog-to-json/handler';
import { logger } from '../../../shared/middleware';

type Handler = (
  event: FirehoseTransformationEvent,
  context: Context,
) => Promise<FirehoseTransformationResult>;

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'firehose-log-blueprint-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:firehose-log-blueprint-test',
  memoryLimitInMB: '512',
  awsRequestId: '7f3c1d52-0000-4000-8000-000000000001',
  logGroupName: '/aws/lambda/firehose-log-blueprint-test',
  logStreamName: '2024/10/11/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

const sample = (name: string): FirehoseTransformationEvent =>
  JSON.parse(readFileSync(new URL(`../../../events/${name}.json`, import.meta.url), 'utf8'));

const invoke = (handler: unknown, event: FirehoseTransformationEvent) => (handler as Handler)(event, context);

const decoded = (result: FirehoseTransformationResult) =>
  result.records.map((r) => ({
    result: r.result,
    text: Buffer.from(r.data ?? '', 'base64').toString('utf8'),
  }));

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));

function eventOf(datas: (string | Uint8Array)[]): FirehoseTransformationEvent {
  return {
    invocationId: 'invocation-1',
    deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/test',
    region: 'us-east-1',
    records: datas.map((data, i) => ({
      recordId: `record-${i}`,
      approximateArrivalTimestamp: Date.UTC(2024, 9, 11, 22, 15, 0),
      data: Buffer.from(data).toString('base64'),
    })),
  };
}

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(logger, 'warn');
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.CSV_LINE_ENDING;
  apacheCsvConfig.reset();
  syslogCsvConfig.reset();
});

/** Reasons the runner logged for ProcessingFailed records, by recordId. */
function loggedReasons(): Record<string, string> {
  const reasons: Record<string, string> = {};
  for (const [message, fields] of warn.mock.calls as [string, { recordId: string; reason: string }][]) {
    if (message === 'Record answered ProcessingFailed') reasons[fields.recordId] = fields.reason;
  }
  return reasons;
}

function expectAnsweredInOrder(
  event: FirehoseTransformationEvent,
  result: FirehoseTransformationResult,
): void {
  expect(result.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
  result.records.forEach((r, i) => {
    if (r.result === 'ProcessingFailed') expect(r.data).toBe(event.records[i]!.data);
  });
}

const apacheCommon = {
  ident: '-',
  authuser: '-',
  verb: 'GET',
  protocol: 'HTTP/1.1',
};

const apacheSampleObjects = [
  [
    {
      ...apacheCommon,
      host: '203.0.113.42',
      '@timestamp': '2024-10-10T13:55:36.000-07:00',
      timezone: '-0700',
      '@timestamp_utc': '2024-10-10T20:55:36.000Z',
      request: 'GET /index.html HTTP/1.1',
      path: '/index.html',
      response: 200,
      bytes: 2326,
      referrer: 'https://www.example.com/start',
      agent:
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
    },
  ],
  [
    {
      ...apacheCommon,
      host: '198.51.100.7',
      authuser: 'alice',
      '@timestamp': '2024-10-10T13:55:37.000-07:00',
      timezone: '-0700',
      '@timestamp_utc': '2024-10-10T20:55:37.000Z',
      request: 'POST /api/orders HTTP/1.1',
      verb: 'POST',
      path: '/api/orders',
      response: 201,
      bytes: 512,
      referrer: null,
      agent: null,
    },
  ],
  [
    {
      ...apacheCommon,
      host: '2001:db8:85a3::8a2e:370:7334',
      '@timestamp': '2024-10-10T20:55:38.000+00:00',
      timezone: '+0000',
      '@timestamp_utc': '2024-10-10T20:55:38.000Z',
      request: 'HEAD /health HTTP/1.1',
      verb: 'HEAD',
      path: '/health',
      response: 304,
      bytes: 0,
      referrer: '-',
      agent: 'kube-probe/1.29',
    },
  ],
  [
    {
      ...apacheCommon,
      host: 'crawl-66-249-66-1.googlebot.com',
      '@timestamp': '2024-10-10T13:55:39.000-07:00',
      timezone: '-0700',
      '@timestamp_utc': '2024-10-10T20:55:39.000Z',
      request: 'GET /search?q=\\"blue,green\\" HTTP/1.1',
      path: '/search?q=\\"blue,green\\"',
      response: 200,
      bytes: 1043,
      referrer: '-',
      agent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    },
  ],
  [
    {
      ...apacheCommon,
      host: '192.0.2.10',
      '@timestamp': '2024-10-10T13:55:40.000-07:00',
      timezone: '-0700',
      '@timestamp_utc': '2024-10-10T20:55:40.000Z',
      request: 'GET /assets/site.css HTTP/1.1',
      path: '/assets/site.css',
      response: 200,
      bytes: 812,
      referrer: 'https://www.example.com/index.html',
      agent: 'curl/8.5.0',
    },
    {
      ...apacheCommon,
      host: '::1',
      '@timestamp': '2024-10-10T13:55:40.000-07:00',
      timezone: '-0700',
      '@timestamp_utc': '2024-10-10T20:55:40.000Z',
      request: 'GET /server-status HTTP/1.0',
      path: '/server-status',
      protocol: 'HTTP/1.0',
      response: 404,
      bytes: 0,
      referrer: null,
      agent: null,
    },
  ],
];

describe('firehose-apache-log-to-json', () => {
  it('transforms its sample event, record by record', async () => {
    const event = sample('firehose-apache-log-to-json');
    const result = await invoke(apacheToJson, event);
    expectAnsweredInOrder(event, result);
    const records = decoded(result);
    expect(records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Ok', 'Ok', 'Ok', 'ProcessingFailed']);
    records.slice(0, 5).forEach((record, i) => {
      expect(record.text.endsWith('\n')).toBe(true);
      expect(jsonLines(record.text)).toEqual(apacheSampleObjects[i]);
    });
    expect(records[5]!.text).toBe('192.0.2.11 - - 10/Oct/2024:13:55:41 -0700 "GET / HTTP/1.1" 200 99\n');
    expect(loggedReasons()).toEqual({ [event.records[5]!.recordId]: "apache: expected '[' at column 16" });
  });

  it('answers bad records ProcessingFailed with a logged reason, and never throws', async () => {
    const valid = '10.0.0.1 - - [10/Oct/2024:13:55:36 -0700] "GET / HTTP/1.1" 200 5';
    const hugeAgent = `10.0.0.1 - - [10/Oct/2024:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "${'A'.repeat(1_000_000)}"`;
    const event = eventOf([
      Uint8Array.from([0x31, 0x30, 0xff, 0xfe, 0x0a]),
      '',
      '\n\n',
      `${valid}\nthis is not an access log line\n`,
      `${' "'.repeat(500_000)}`,
      hugeAgent,
      valid,
    ]);
    const result = await invoke(apacheToJson, event);
    expectAnsweredInOrder(event, result);
    expect(result.records.map((r) => r.result)).toEqual([
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
      'Ok',
      'Ok',
    ]);
    expect(loggedReasons()).toEqual({
      'record-0': 'record: data is not valid UTF-8',
      'record-1': 'record: empty record',
      'record-2': 'record: empty record',
      'record-3': "apache: line 2: expected '[' at column 13",
      'record-4': 'apache: expected a host at column 1',
    });
    const agent = jsonLines(decoded(result)[5]!.text)[0].agent;
    expect(agent).toHaveLength(1_000_000);
  });
});

describe('firehose-apache-log-to-csv', () => {
  it('transforms its sample event, record by record', async () => {
    const event = sample('firehose-apache-log-to-csv');
    const result = await invoke(apacheToCsv, event);
    expectAnsweredInOrder(event, result);
    expect(decoded(result)).toEqual([
      {
        result: 'Ok',
        text: '203.0.113.42,-,-,10/Oct/2024:13:55:36 -0700,GET /index.html HTTP/1.1,200,2326,2024-10-10T20:55:36.000Z,-0700,GET,/index.html,HTTP/1.1,https://www.example.com/start,"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"\n',
      },
      {
        result: 'Ok',
        text: '198.51.100.7,-,alice,10/Oct/2024:13:55:37 -0700,POST /api/orders HTTP/1.1,201,512,2024-10-10T20:55:37.000Z,-0700,POST,/api/orders,HTTP/1.1,,\n',
      },
      {
        result: 'Ok',
        text: '2001:db8:85a3::8a2e:370:7334,-,-,10/Oct/2024:20:55:38 +0000,HEAD /health HTTP/1.1,304,0,2024-10-10T20:55:38.000Z,+0000,HEAD,/health,HTTP/1.1,-,kube-probe/1.29\n',
      },
      {
        result: 'Ok',
        text: 'crawl-66-249-66-1.googlebot.com,-,-,10/Oct/2024:13:55:39 -0700,"GET /search?q=\\""blue,green\\"" HTTP/1.1",200,1043,2024-10-10T20:55:39.000Z,-0700,GET,"/search?q=\\""blue,green\\""",HTTP/1.1,-,Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\n',
      },
      {
        result: 'Ok',
        text:
          '192.0.2.10,-,-,10/Oct/2024:13:55:40 -0700,GET /assets/site.css HTTP/1.1,200,812,2024-10-10T20:55:40.000Z,-0700,GET,/assets/site.css,HTTP/1.1,https://www.example.com/index.html,curl/8.5.0\n' +
          '::1,-,-,10/Oct/2024:13:55:40 -0700,GET /server-status HTTP/1.0,404,0,2024-10-10T20:55:40.000Z,-0700,GET,/server-status,HTTP/1.0,,\n',
      },
      {
        result: 'ProcessingFailed',
        text: '192.0.2.11 - - 10/Oct/2024:13:55:41 -0700 "GET / HTTP/1.1" 200 99\n',
      },
    ]);
    expect(loggedReasons()).toEqual({ [event.records[5]!.recordId]: "apache: expected '[' at column 16" });
  });

  it('ends records with CRLF when CSV_LINE_ENDING=crlf, and rejects other values at cold start', async () => {
    process.env.CSV_LINE_ENDING = 'crlf';
    apacheCsvConfig.reset();
    const result = await invoke(
      apacheToCsv,
      eventOf(['h - - [10/Oct/2024:13:55:36 -0700] "GET / HTTP/1.1" 200 5']),
    );
    expect(decoded(result)[0]!.text).toBe(
      'h,-,-,10/Oct/2024:13:55:36 -0700,GET / HTTP/1.1,200,5,2024-10-10T20:55:36.000Z,-0700,GET,/,HTTP/1.1,,\r\n',
    );
    process.env.CSV_LINE_ENDING = 'cr';
    apacheCsvConfig.reset();
    await expect(invoke(apacheToCsv, eventOf(['x']))).rejects.toThrow(
      'Invalid configuration: CSV_LINE_ENDING must be one of lf, crlf (got "cr")',
    );
  });
});

const syslogSampleObjects = [
  [
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'mymachine',
      program: 'su',
      processid: null,
      message: "'su root' failed for lonvick on /dev/pts/8",
      '@timestamp': '2024-10-11T22:14:15.000Z',
      format: 'rfc3164',
      priority: 34,
      facility: 4,
      facility_name: 'auth',
      severity: 2,
      severity_name: 'crit',
      version: null,
      msgid: null,
      structured_data: null,
    },
  ],
  [
    {
      timestamp: 'Oct 11 22:14:16',
      hostname: 'web-1',
      program: 'sshd',
      processid: '4242',
      message: 'Accepted publickey for ubuntu from 2001:db8::5 port 52814 ssh2',
      '@timestamp': '2024-10-11T22:14:16.000Z',
      format: 'rfc3164',
      priority: null,
      facility: null,
      facility_name: null,
      severity: null,
      severity_name: null,
      version: null,
      msgid: null,
      structured_data: null,
    },
  ],
  [
    {
      timestamp: 'Oct 11 22:14:17',
      hostname: null,
      program: 'logger',
      processid: null,
      message: 'line from a local logger, without a hostname',
      '@timestamp': '2024-10-11T22:14:17.000Z',
      format: 'rfc3164',
      priority: 13,
      facility: 1,
      facility_name: 'user',
      severity: 5,
      severity_name: 'notice',
      version: null,
      msgid: null,
      structured_data: null,
    },
  ],
  [
    {
      timestamp: '2024-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      program: 'evntslog',
      processid: null,
      message: 'An application event log entry, with "quotes", commas',
      '@timestamp': '2024-10-11T22:14:15.003Z',
      format: 'rfc5424',
      priority: 165,
      facility: 20,
      facility_name: 'local4',
      severity: 5,
      severity_name: 'notice',
      version: 1,
      msgid: 'ID47',
      structured_data: {
        'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
        origin: { ip: ['192.0.2.1', '2001:db8::1'], software: 'sh"ip]per \\ 2' },
      },
    },
  ],
  [
    {
      timestamp: '2024-10-12T00:14:18+02:00',
      hostname: '2001:db8::10',
      program: null,
      processid: null,
      message: 'Disk usage at 91%',
      '@timestamp': '2024-10-11T22:14:18.000Z',
      format: 'rfc5424',
      priority: 14,
      facility: 1,
      facility_name: 'user',
      severity: 6,
      severity_name: 'info',
      version: 1,
      msgid: null,
      structured_data: null,
    },
  ],
  ['pam_unix(cron:session): session opened for user root', '(root) CMD (run-parts /etc/cron.hourly)'].map(
    (message) => ({
      timestamp: 'Oct 11 22:14:19',
      hostname: 'web-1',
      program: 'CRON',
      processid: '1011',
      message,
      '@timestamp': '2024-10-11T22:14:19.000Z',
      format: 'rfc3164',
      priority: 86,
      facility: 10,
      facility_name: 'authpriv',
      severity: 6,
      severity_name: 'info',
      version: null,
      msgid: null,
      structured_data: null,
    }),
  ),
];

describe('firehose-syslog-to-json', () => {
  it('transforms its sample event, record by record', async () => {
    const event = sample('firehose-syslog-to-json');
    const result = await invoke(syslogToJson, event);
    expectAnsweredInOrder(event, result);
    const records = decoded(result);
    expect(records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Ok', 'Ok', 'Ok', 'Ok', 'ProcessingFailed']);
    records.slice(0, 6).forEach((record, i) => {
      expect(jsonLines(record.text)).toEqual(syslogSampleObjects[i]);
    });
    expect(records[6]!.text).toBe('<200>Oct 11 22:14:20 web-1 kernel: a priority no facility has\n');
    expect(loggedReasons()).toEqual({
      [event.records[6]!.recordId]: 'syslog: priority out of range (0-191) at column 2',
    });
  });

  it('answers bad records ProcessingFailed with a logged reason, and never throws', async () => {
    const event = eventOf([
      Uint8Array.from([0x3c, 0x31, 0x3e, 0xc0, 0xaf]),
      '',
      '<34>Oct 11 22:14:15 h su: ok\n<34>Oct 99 22:14:15 h su: bad day\n',
      `<14>1 - h a - - [x@1 v="${'\\]'.repeat(500_000)}`,
      `<14>1 - h a - - - ${'m'.repeat(1_000_000)}`,
    ]);
    const result = await invoke(syslogToJson, event);
    expectAnsweredInOrder(event, result);
    expect(result.records.map((r) => r.result)).toEqual([
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
      'Ok',
    ]);
    expect(loggedReasons()).toEqual({
      'record-0': 'record: data is not valid UTF-8',
      'record-1': 'record: empty record',
      'record-2': 'syslog: line 2: invalid date or time at column 5',
      'record-3': "syslog: expected '\"' closing a structured-data value at column 1000025",
    });
    expect(jsonLines(decoded(result)[4]!.text)[0].message).toHaveLength(1_000_000);
  });
});

describe('firehose-syslog-to-csv', () => {
  it('transforms its sample event, record by record, never writing "undefined"', async () => {
    const event = sample('firehose-syslog-to-csv');
    const result = await invoke(syslogToCsv, event);
    expectAnsweredInOrder(event, result);
    expect(decoded(result)).toEqual([
      {
        result: 'Ok',
        text: "Oct 11 22:14:15,mymachine,su,,'su root' failed for lonvick on /dev/pts/8,2024-10-11T22:14:15.000Z,rfc3164,34,4,auth,2,crit,,,\n",
      },
      {
        result: 'Ok',
        text: 'Oct 11 22:14:16,web-1,sshd,4242,Accepted publickey for ubuntu from 2001:db8::5 port 52814 ssh2,2024-10-11T22:14:16.000Z,rfc3164,,,,,,,,\n',
      },
      {
        result: 'Ok',
        text: 'Oct 11 22:14:17,,logger,,"line from a local logger, without a hostname",2024-10-11T22:14:17.000Z,rfc3164,13,1,user,5,notice,,,\n',
      },
      {
        result: 'Ok',
        text: '2024-10-11T22:14:15.003Z,mymachine.example.com,evntslog,,"An application event log entry, with ""quotes"", commas",2024-10-11T22:14:15.003Z,rfc5424,165,20,local4,5,notice,1,ID47,"[exampleSDID@32473 iut=""3"" eventSource=""Application"" eventID=""1011""][origin ip=""192.0.2.1"" ip=""2001:db8::1"" software=""sh\\""ip\\]per \\\\ 2""]"\n',
      },
      {
        result: 'Ok',
        text: '2024-10-12T00:14:18+02:00,2001:db8::10,,,Disk usage at 91%,2024-10-11T22:14:18.000Z,rfc5424,14,1,user,6,info,1,,\n',
      },
      {
        result: 'Ok',
        text:
          'Oct 11 22:14:19,web-1,CRON,1011,pam_unix(cron:session): session opened for user root,2024-10-11T22:14:19.000Z,rfc3164,86,10,authpriv,6,info,,,\n' +
          'Oct 11 22:14:19,web-1,CRON,1011,(root) CMD (run-parts /etc/cron.hourly),2024-10-11T22:14:19.000Z,rfc3164,86,10,authpriv,6,info,,,\n',
      },
      { result: 'ProcessingFailed', text: '<200>Oct 11 22:14:20 web-1 kernel: a priority no facility has\n' },
    ]);
    expect(decoded(result).some((r) => r.text.includes('undefined'))).toBe(false);
  });

  it('answers a bad line ProcessingFailed and keeps CRLF when asked', async () => {
    process.env.CSV_LINE_ENDING = 'crlf';
    syslogCsvConfig.reset();
    const result = await invoke(syslogToCsv, eventOf(['<13>Oct 11 22:14:15 h su: x', 'no timestamp here']));
    expect(decoded(result)).toEqual([
      {
        result: 'Ok',
        text: 'Oct 11 22:14:15,h,su,,x,2024-10-11T22:14:15.000Z,rfc3164,13,1,user,5,notice,,,\r\n',
      },
      { result: 'ProcessingFailed', text: 'no timestamp here' },
    ]);
    expect(loggedReasons()).toEqual({
      'record-1': 'syslog: expected a timestamp like Oct 11 22:14:15 at column 1',
    });
  });
});

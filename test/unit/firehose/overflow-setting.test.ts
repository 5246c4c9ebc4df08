/**
 * OVERFLOW on every Firehose blueprint: `processing-failed` unless set (a copied blueprint has no permission to
 * re-ingest), `reingest` when set, and a bad value's error names the variable serverless.yml deploys it from; the
 * deploy-time default (scripts/serverless-firehose-overflow.cjs) is `reingest` exactly when the stream is named.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../scripts/lib/functions';
import { onOverflowFor } from '../../../shared/firehose';
import { asDeployed, ConfigError } from '../../../shared/middleware/config';

const BLUEPRINTS = [
  'firehose-process-record',
  'firehose-json-partitioner',
  'firehose-kinesis-source',
  'firehose-apache-log-to-json',
  'firehose-apache-log-to-csv',
  'firehose-syslog-to-json',
  'firehose-syslog-to-csv',
];

const yaml = readFileSync(join(repoRoot, 'serverless.yml'), 'utf8');

/** The CONFIG_DEPLOYED_NAMES serverless.yml gives a function. */
function deployedNames(name: string): string {
  const block = yaml.slice(yaml.indexOf(`\n  ${name}:\n`));
  return /CONFIG_DEPLOYED_NAMES: (\S+)/.exec(block.slice(0, block.indexOf('\n\n')))?.[1] ?? '';
}

type Config = (() => { overflow: string }) & { reset(): void };
const loadConfig = async (name: string) =>
  ((await import(`../../../functions/${name}/config.ts`)) as { config: Config }).config;

const touched = ['OVERFLOW', 'CONFIG_DEPLOYED_NAMES'];
afterEach(() => {
  for (const variable of touched) delete process.env[variable];
});

describe.each(BLUEPRINTS)('%s: OVERFLOW', (name) => {
  it('is processing-failed unless set, reingest when set', async () => {
    const config = await loadConfig(name);
    config.reset();
    expect(config().overflow).toBe('processing-failed');
    process.env.OVERFLOW = 'reingest';
    config.reset();
    expect(config().overflow).toBe('reingest');
    config.reset();
  });

  it('refuses a bad value, naming the variable serverless.yml deploys it from', async () => {
    const config = await loadConfig(name);
    const names = deployedNames(name);
    const deployed = /(?:^|,)OVERFLOW=([A-Z0-9_]+)/.exec(names)?.[1];
    expect(deployed, `${name}: CONFIG_DEPLOYED_NAMES maps OVERFLOW`).toMatch(/_OVERFLOW$/);
    process.env.OVERFLOW = 'bogus';
    process.env.CONFIG_DEPLOYED_NAMES = names;
    config.reset();
    let error: unknown;
    try {
      config();
    } catch (caught) {
      error = caught;
    }
    config.reset();
    expect(error).toBeInstanceOf(ConfigError);
    expect(asDeployed(error as ConfigError).message).toBe(
      `Invalid configuration: ${deployed} must be one of processing-failed, reingest (got "bogus")`,
    );
  });
});

describe('onOverflowFor', () => {
  it('answers overflow ProcessingFailed, or re-ingests it through a hook', () => {
    expect(onOverflowFor('processing-failed')).toBe('processing-failed');
    expect(typeof onOverflowFor('reingest')).toBe('function');
  });
});

describe('scripts/serverless-firehose-overflow.cjs', () => {
  const {
    BLUEPRINTS: params,
    blueprints,
    overflowSettings,
  } = createRequire(import.meta.url)(join(repoRoot, 'scripts/serverless-firehose-overflow.cjs')) as {
    BLUEPRINTS: Record<string, [string, { pattern: RegExp; what: string }]>;
    blueprints: (context: { resolveVariable: (text: string) => Promise<string> }) => Promise<unknown>;
    overflowSettings: (param: string, kind: unknown, text: string) => { stream: string; overflow: string };
  };
  const [deliveryParam, deliveryStream] = params.apacheLogToJson!;
  const [kinesisParam, kinesisStream] = params.kinesisSource!;

  it('defaults OVERFLOW to reingest exactly when the stream is named', () => {
    expect(overflowSettings(deliveryParam, deliveryStream, '')).toEqual({
      stream: '',
      overflow: 'processing-failed',
    });
    expect(overflowSettings(deliveryParam, deliveryStream, ' logs-apache_1.a ')).toEqual({
      stream: 'logs-apache_1.a',
      overflow: 'reingest',
    });
    expect(overflowSettings(kinesisParam, kinesisStream, 'k'.repeat(128)).overflow).toBe('reingest');
  });

  it('refuses a name AWS would refuse, naming the parameter', () => {
    expect(() => overflowSettings(deliveryParam, deliveryStream, 'a'.repeat(65))).toThrow(
      `--param="firehoseApacheLogToJsonDeliveryStream=${'a'.repeat(65)}" must be a delivery stream name`,
    );
    expect(() => overflowSettings(deliveryParam, deliveryStream, 'arn:aws:firehose:x')).toThrow(
      /must be a delivery stream name/,
    );
    expect(() => overflowSettings(kinesisParam, kinesisStream, 'k'.repeat(129))).toThrow(
      '--param="firehoseSourceStreamName=',
    );
  });

  it('reads one parameter per blueprint, each named in serverless.yml', async () => {
    const asked: string[] = [];
    const settings = await blueprints({
      resolveVariable: async (text) => {
        asked.push(text);
        return text.startsWith('param:firehoseSyslogToCsvDeliveryStream,') ? 'syslog' : '';
      },
    });
    expect(asked).toHaveLength(7);
    for (const text of asked) expect(text).toMatch(/^param:firehose[A-Za-z]+, ""$/);
    expect(settings).toMatchObject({
      syslogToCsv: { stream: 'syslog', overflow: 'reingest' },
      apacheLogToJson: { stream: '', overflow: 'processing-failed' },
    });
    for (const [key, [param]] of Object.entries(params)) {
      expect(yaml, param).toContain(`self:custom.firehoseOverflow.${key}.overflow`);
      expect(yaml, param).toContain(`self:custom.firehoseOverflow.${key}.stream`);
    }
  });
});

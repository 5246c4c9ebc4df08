/** A configuration error names the variable the user set: serverless.yml's CONFIG_DEPLOYED_NAMES. */
import { describe, expect, it } from 'vitest';
import { asDeployed, ConfigError, deployedNames, envReader } from '../../shared/middleware/config';

describe('asDeployed', () => {
  const env = {
    CONFIG_DEPLOYED_NAMES: 'OVERFLOW=CWL_OVERFLOW, OUTPUT_FORMAT = CWL_OUTPUT_FORMAT,bad',
    OVERFLOW: 'x',
  };

  it('reads the list, ignoring malformed pairs', () => {
    expect([...deployedNames(env)]).toEqual([
      ['OVERFLOW', 'CWL_OVERFLOW'],
      ['OUTPUT_FORMAT', 'CWL_OUTPUT_FORMAT'],
    ]);
    expect(deployedNames({}).size).toBe(0);
  });

  it('renames the variable in the message and keeps the function variable', () => {
    let error: unknown;
    try {
      envReader(env).oneOf('OVERFLOW', ['reingest', 'processing-failed']);
    } catch (caught) {
      error = caught;
    }
    const named = asDeployed(error as ConfigError, env);
    expect(named).toBeInstanceOf(ConfigError);
    expect(named.message).toBe(
      'Invalid configuration: CWL_OVERFLOW must be one of reingest, processing-failed (got "x")',
    );
    expect(named.variable).toBe('CWL_OVERFLOW');
    expect(named.functionVariable).toBe('OVERFLOW');
  });

  it('leaves unmapped variables and compound names alone or maps their parts', () => {
    const unmapped = new ConfigError('BUCKET_NAME', 'set');
    expect(asDeployed(unmapped, env)).toBe(unmapped);
    expect(asDeployed(new ConfigError('OVERFLOW/OUTPUT_FORMAT', 'consistent', 'a'), env).message).toContain(
      'CWL_OVERFLOW/CWL_OUTPUT_FORMAT must be consistent',
    );
  });
});

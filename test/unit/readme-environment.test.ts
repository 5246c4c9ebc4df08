/**
 * Every documented setting is deployable, and every deployed setting is documented: each function README's
 * "Environment variables" table against that function's `environment` in serverless.yml (read as text, so the
 * `${env:NAME, <default>}` form is what is checked) and against the variables its config.ts reads.
 *
 * - a variable in the table is in the function's `environment` (or the provider's, for the Powertools ones),
 *   as `${env:NAME, <default>}`; when NAME is a prefixed deploy-time name (CWL_OVERFLOW for OVERFLOW) the table's
 *   row names it and CONFIG_DEPLOYED_NAMES maps it, so configuration errors name the variable the user set;
 * - every variable in the function's `environment` is in the table, except the fixed ones;
 * - every variable the function's config.ts reads is in the table;
 * - where the table's default is a literal (`json`) and serverless.yml's is too, they are the same.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/functions';

/** Values that are not settings: fixed in serverless.yml, not read from the environment. */
const FIXED = new Set(['POWERTOOLS_SERVICE_NAME', 'CONFIG_DEPLOYED_NAMES', 'NODE_OPTIONS']);
const ENV_FIRST = /^\$\{env:([A-Z][A-Z0-9_]*), (.+)\}$/;

interface TableRow {
  names: string[];
  defaultCell: string;
  text: string;
}

/** The rows of the first table under "## Environment variables". */
function readmeTable(markdown: string): TableRow[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => /^## Environment variables/i.test(line));
  if (start < 0) return [];
  const rows: TableRow[] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const cells = line.split('|').slice(1, -1);
    const names = [...(cells[0] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!);
    if (names.length > 0) rows.push({ names, defaultCell: (cells[1] ?? '').trim(), text: line });
  }
  return rows;
}

/** serverless.yml's environment blocks, as raw text values: provider's and each function's. */
function serverlessEnvironments(yaml: string): {
  provider: Map<string, string>;
  functions: Map<string, Map<string, string>>;
} {
  const provider = new Map<string, string>();
  const functions = new Map<string, Map<string, string>>();
  let section = '';
  let fn: string | undefined;
  let target: Map<string, string> | undefined;
  let targetIndent = 0;
  for (const line of yaml.split('\n')) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    const top = /^([a-zA-Z]+):/.exec(line);
    if (top) {
      section = top[1]!;
      target = undefined;
      continue;
    }
    if (target && indent === targetIndent) {
      const entry = /^\s+([A-Z][A-Z0-9_]*):\s*(.*)$/.exec(line);
      if (entry) {
        target.set(entry[1]!, entry[2]!.trim());
        continue;
      }
    }
    if (target && indent < targetIndent) target = undefined;
    if (section === 'provider' && indent === 2 && line.trim() === 'environment:') {
      target = provider;
      targetIndent = 4;
    } else if (section === 'functions' && indent === 2 && /^ {2}[a-z0-9-]+:\s*$/.test(line)) {
      fn = line.trim().slice(0, -1);
      functions.set(fn, new Map());
    } else if (section === 'functions' && indent === 4 && line.trim() === 'environment:' && fn) {
      target = functions.get(fn);
      targetIndent = 6;
    }
  }
  return { provider, functions };
}

/** The variables a config.ts reads through the EnvReader (`env.oneOf('OVERFLOW', ...)`). */
function configVariables(source: string): string[] {
  return [
    ...source.matchAll(
      /\benv\s*\.\s*(?:string|optionalString|int|number|bool|oneOf|list)\(\s*'([A-Z][A-Z0-9_]*)'/g,
    ),
  ].map((m) => m[1]!);
}

/** A quoted literal default (`'json'`), or undefined for a reference (`self:...`, `file(...)`). */
const literalDefault = (text: string) => /^'([^']*)'$/.exec(text)?.[1];
const readmeLiteral = (cell: string) => /^`([^`]*)`/.exec(cell)?.[1];

const yaml = readFileSync(join(repoRoot, 'serverless.yml'), 'utf8');
const { provider, functions } = serverlessEnvironments(yaml);
const folders = readdirSync(join(repoRoot, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(repoRoot, 'functions', entry.name, 'README.md')))
  .map((entry) => entry.name)
  .sort();

describe('the parsers', () => {
  it('read a README table and serverless.yml environments', () => {
    const table = readmeTable(
      [
        '## Environment variables',
        '',
        '| Variable | Default | Meaning |',
        '|---|---|---|',
        '| `OVERFLOW` | `reingest` | what happens. Deployed from `CWL_OVERFLOW`. |',
        '| `A`, `B` | `1`, `2` | two |',
        '',
        'Not a row: `C`',
        '## IAM',
      ].join('\n'),
    );
    expect(table.map((row) => row.names)).toEqual([['OVERFLOW'], ['A', 'B']]);
    expect(table[0]!.defaultCell).toBe('`reingest`');
    const parsed = serverlessEnvironments(
      [
        'provider:',
        '  name: aws',
        '  environment:',
        "    LEVEL: ${env:LEVEL, 'INFO'}",
        'custom:',
        '  x: 1',
        'functions:',
        '  one:',
        '    handler: h',
        '    environment:',
        '      # a comment',
        "      OVERFLOW: ${env:CWL_OVERFLOW, 'reingest'}",
        '    events:',
        '      - stream: {}',
        '  two:',
        '    environment:',
        '      A: b',
        'resources:',
        '  X: 1',
      ].join('\n'),
    );
    expect([...parsed.provider]).toEqual([['LEVEL', "${env:LEVEL, 'INFO'}"]]);
    expect([...parsed.functions.get('one')!]).toEqual([['OVERFLOW', "${env:CWL_OVERFLOW, 'reingest'}"]]);
    expect([...parsed.functions.get('two')!]).toEqual([['A', 'b']]);
  });

  it('find every function and its environment in serverless.yml', () => {
    expect(folders.length).toBeGreaterThan(5);
    expect(provider.get('POWERTOOLS_LOG_LEVEL')).toMatch(ENV_FIRST);
    for (const name of folders) expect(functions.get(name)?.get('POWERTOOLS_SERVICE_NAME'), name).toBe(name);
  });
});

describe('provider environment', () => {
  it('reads every setting from ${env:...} first', () => {
    for (const [name, value] of provider) {
      if (!FIXED.has(name)) expect(value, `provider.environment.${name}`).toMatch(ENV_FIRST);
    }
  });
});

describe.each(folders)('%s: README environment table vs serverless.yml', (name) => {
  const readme = readFileSync(join(repoRoot, 'functions', name, 'README.md'), 'utf8');
  const rows = readmeTable(readme);
  const documented = new Map(rows.flatMap((row) => row.names.map((variable) => [variable, row] as const)));
  const environment = functions.get(name) ?? new Map<string, string>();
  const deployedNames = new Map(
    (environment.get('CONFIG_DEPLOYED_NAMES') ?? '')
      .split(',')
      .filter((pair) => pair.includes('='))
      .map((pair) => pair.split('=').map((part) => part.trim()) as [string, string]),
  );

  it('has a table and a serverless.yml function', () => {
    expect(rows.length, `${name}/README.md has no "Environment variables" table`).toBeGreaterThan(0);
    expect(functions.has(name), `serverless.yml has no function ${name}`).toBe(true);
  });

  it('deploys every documented variable as ${env:NAME, <default>}', () => {
    for (const [variable, row] of documented) {
      const value = environment.get(variable) ?? provider.get(variable);
      expect(value, `${variable} (documented) is not in serverless.yml's ${name} environment`).toBeDefined();
      const match = ENV_FIRST.exec(value!);
      expect(match, `${name}: ${variable}: ${value} does not read \${env:...} first`).not.toBeNull();
      const [, deployed, fallback] = match!;
      if (deployed !== variable) {
        expect(row.text, `${name}: the README row of ${variable} does not name ${deployed}`).toContain(
          `\`${deployed}\``,
        );
        expect(
          deployedNames.get(variable),
          `${name}: CONFIG_DEPLOYED_NAMES lacks ${variable}=${deployed}`,
        ).toBe(deployed);
      }
      const documentedDefault = readmeLiteral(row.defaultCell);
      const deployedDefault = literalDefault(fallback!);
      if (row.names.length === 1 && documentedDefault !== undefined && deployedDefault !== undefined) {
        expect(deployedDefault, `${name}: ${variable}'s default`).toBe(documentedDefault);
      }
    }
  });

  it('documents every variable it deploys, and maps only real deploy-time names', () => {
    for (const [variable, value] of environment) {
      if (FIXED.has(variable)) continue;
      expect(documented.has(variable), `${name}: ${variable} is deployed but not in README.md's table`).toBe(
        true,
      );
      expect(value, `${name}: ${variable} does not read \${env:...} first`).toMatch(ENV_FIRST);
    }
    const renamed = [...environment]
      .map(([variable, value]) => [variable, ENV_FIRST.exec(value)?.[1]] as const)
      .filter(([variable, deployed]) => deployed !== undefined && deployed !== variable);
    expect(new Map(renamed)).toEqual(deployedNames);
  });

  it('documents every variable its config.ts reads', () => {
    const config = join(repoRoot, 'functions', name, 'config.ts');
    if (!existsSync(config)) return;
    for (const variable of configVariables(readFileSync(config, 'utf8'))) {
      expect(
        documented.has(variable),
        `${name}: config.ts reads ${variable}, README.md's table lacks it`,
      ).toBe(true);
    }
  });
});

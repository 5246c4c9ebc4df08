/**
 * Runs one function's handler on an event file in this process and exits: `tsx test/support/emf-run.ts <function>
 * <event.json>`. Started by tests with POWERTOOLS_METRICS_DISABLED=false to read the EMF documents (the `_aws`
 * lines on stdout) the function really emits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../scripts/lib/functions';

const [name, eventPath] = process.argv.slice(2);
if (!name || !eventPath) throw new Error('usage: emf-run.ts <function> <event.json>');
const { handler } = (await import(pathToFileURL(join(repoRoot, 'functions', name, 'handler.ts')).href)) as {
  handler: (event: unknown, context: unknown) => Promise<unknown>;
};
const context = {
  functionName: name,
  functionVersion: '$LATEST',
  awsRequestId: 'emf-run',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
  memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 60_000,
};
await handler(JSON.parse(readFileSync(eventPath, 'utf8')), context);

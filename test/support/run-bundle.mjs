// Runs one built bundle (dist/<name>/index.mjs) on an event file under plain Node, the way the Lambda runtime
// would: import the file, call `handler(event, context)`, print the result as JSON on the last line.
// Usage: node test/support/run-bundle.mjs <bundle> <event.json>
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundle, eventPath] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(bundle).href);
const deadline = Date.now() + 60_000;
const context = {
  functionName: 'bundle-check',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bundle-check',
  memoryLimitInMB: '512',
  awsRequestId: 'bundle-check',
  logGroupName: '/aws/lambda/bundle-check',
  logStreamName: 'local',
  getRemainingTimeInMillis: () => deadline - Date.now(),
};
const result = await handler(JSON.parse(readFileSync(eventPath, 'utf8')), context);
process.stdout.write(`\n${JSON.stringify(result ?? null)}\n`);

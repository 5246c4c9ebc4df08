/**
 * What `npm run invoke -- kinesis-to-dynamodb --emulators` needs besides the emulators: the table, keyed as
 * PARTITION_KEY / SORT_KEY say (serverless.yml's defaults `pk={deviceId}`, `sk={ts}` when unset), created in
 * dynalite under TABLE_NAME (default kinesis-lambda-kit-local), and the dead-letter bucket (the s3rver bucket the
 * run already created). `stop()` prints what landed in the table.
 */
import { CreateTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { parseKeySpec } from '../../functions/kinesis-to-dynamodb/item';
import { dynamoDbClient } from '../../shared/aws/clients';

export interface LocalSetup {
  /** For the function's process: the table and the dead-letter bucket. */
  env: Record<string, string>;
  /** Prints the items in the table (count and the first few keys). */
  stop(): Promise<void>;
}

export async function setUpKinesisToDynamoDb(deadLetterBucket: string): Promise<LocalSetup> {
  const table = process.env.TABLE_NAME || 'kinesis-lambda-kit-local';
  const partition = parseKeySpec(process.env.PARTITION_KEY || 'pk={deviceId}');
  const sortText = process.env.SORT_KEY || 'sk={ts}';
  const sort = sortText.toLowerCase() === 'none' ? undefined : parseKeySpec(sortText);
  const keys = [partition, ...(sort ? [sort] : [])];
  await dynamoDbClient().send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: keys.map((key, i) => ({
        AttributeName: key.attribute,
        KeyType: i === 0 ? 'HASH' : 'RANGE',
      })),
      AttributeDefinitions: keys.map((key) => ({ AttributeName: key.attribute, AttributeType: key.type })),
      // dynalite wants provisioned throughput; the stack's table is on-demand.
      ProvisionedThroughput: { ReadCapacityUnits: 100, WriteCapacityUnits: 100 },
    }),
  );
  return {
    env: { TABLE_NAME: table, DEAD_LETTER_BUCKET: deadLetterBucket },
    async stop() {
      const { Items = [], Count = 0 } = await dynamoDbClient().send(new ScanCommand({ TableName: table }));
      console.log(`\n${Count} item(s) in table ${table} (dynalite, gone when the run ends):`);
      for (const item of Items.slice(0, 10)) {
        const key = keys.map((spec) => `${spec.attribute}=${Object.values(item[spec.attribute] ?? {})[0]}`);
        console.log(`  ${key.join(' ')}`);
      }
    },
  };
}

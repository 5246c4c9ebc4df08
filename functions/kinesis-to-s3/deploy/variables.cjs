/**
 * `${file(./functions/kinesis-to-s3/deploy/variables.cjs):<name>}` values for serverless.yml: the key prefixes
 * kinesis-to-s3 writes under, from its KEY_PREFIX, KEY_TEMPLATE and DEAD_LETTER_PREFIX as deployed (the function's
 * `environment` in serverless.yml), so that its role may PutObject there only and the bucket's lifecycle rule
 * names the same dead-letter prefix:
 *   dataKeyPrefix        the fixed start of every data key: KEY_TEMPLATE up to its first token other than
 *                        {prefix}, rendered by the function's own key template code (`data/` by default)
 *   deadLetterKeyPrefix  `<DEAD_LETTER_PREFIX>/` (`dead-letter/` by default)
 * A template whose keys share no fixed start (e.g. `{yyyy}/...`, or an empty KEY_PREFIX) or an empty
 * DEAD_LETTER_PREFIX stops `serverless package` / `deploy` with a message: the role would need the whole bucket.
 */
const { require: tsxRequire } = require('tsx/cjs/api');

const { compileKeyTemplate } = tsxRequire('../../../shared/sinks/key-template.ts', __filename);

// config.ts trims slashes around both prefixes the same way.
const trimSlashes = (value) => String(value ?? '').replace(/^\/+|\/+$/g, '');

// Two renderings whose every token value starts with a different character: the keys agree exactly on the
// template's fixed start.
const coordinates = (stream, shardId, sequenceNumber, time) => ({
  stream,
  shardId,
  sequenceNumber,
  subSequenceNumber: 0,
  partitionKey: stream,
  approximateArrivalTimestamp: time,
});
const SAMPLES = [
  {
    ext: '.a',
    first: coordinates('a', 'a', '1', Date.UTC(2001, 0, 1, 0, 0)),
    last: coordinates('a', 'a', '1', Date.UTC(2001, 0, 1, 0, 0)),
  },
  {
    ext: '-b',
    first: coordinates('b', 'b', '2', Date.UTC(1999, 11, 31, 23, 59)),
    last: coordinates('b', 'b', '3', Date.UTC(1999, 11, 31, 23, 59)),
  },
];

/** The longest start shared by every key `template` can produce with `prefix` as its {prefix}. */
function fixedKeyStart(template, prefix) {
  const keyOf = compileKeyTemplate(template);
  const [a, b] = SAMPLES.map((parts) => keyOf({ ...parts, prefix: trimSlashes(prefix) }));
  let length = 0;
  while (length < a.length && a[length] === b[length]) length += 1;
  return a.slice(0, length);
}

function dataKeyPrefix({ keyTemplate, keyPrefix }) {
  const start = fixedKeyStart(keyTemplate, keyPrefix);
  if (start === '') {
    throw new Error(
      `kinesis-to-s3: the keys of KEY_TEMPLATE "${keyTemplate}" with KEY_PREFIX "${keyPrefix}" share no fixed start, so the role would need PutObject on the whole bucket; start KEY_TEMPLATE with {prefix}/ and set a non-empty KEY_PREFIX`,
    );
  }
  return start;
}

function deadLetterKeyPrefix({ deadLetterPrefix }) {
  const prefix = trimSlashes(deadLetterPrefix);
  if (prefix === '') {
    throw new Error(
      'kinesis-to-s3: DEAD_LETTER_PREFIX is empty, so the role would need PutObject on the whole bucket; set a prefix such as dead-letter',
    );
  }
  return `${prefix}/`;
}

const deployed = async (resolveVariable) => {
  const read = (name) => resolveVariable(`self:functions.kinesis-to-s3.environment.${name}`);
  return {
    keyTemplate: await read('KEY_TEMPLATE'),
    keyPrefix: await read('KEY_PREFIX'),
    deadLetterPrefix: await read('DEAD_LETTER_PREFIX'),
  };
};

module.exports = {
  dataKeyPrefix: async ({ resolveVariable }) => dataKeyPrefix(await deployed(resolveVariable)),
  deadLetterKeyPrefix: async ({ resolveVariable }) => deadLetterKeyPrefix(await deployed(resolveVariable)),
  // For tests: the same computations on plain values.
  keyPrefixes: { dataKeyPrefix, deadLetterKeyPrefix },
};

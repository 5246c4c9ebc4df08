/**
 * `${file(./scripts/serverless-firehose-overflow.cjs):blueprints}` is `custom.firehoseOverflow` in serverless.yml: for
 * each Firehose blueprint, the stream its overflowing records are re-ingested into and OVERFLOW's default.
 *
 * Re-ingestion (shared/firehose onOverflowFor) puts a record whose output does not fit in the 6,000,000-byte response
 * back into the delivery stream that invoked the function (firehose:PutRecordBatch), or, for firehose-kinesis-source,
 * into the Kinesis stream that delivery stream reads from (kinesis:PutRecords). The stack cannot know which stream
 * invokes a blueprint, so each blueprint takes its name from a --param. When the parameter is set, the function's
 * role gets exactly that one permission on exactly that stream, and OVERFLOW defaults to `reingest`; when it is not,
 * the role grants nothing extra and OVERFLOW defaults to `processing-failed` (the error output prefix keeps the
 * records). The shell's <PREFIX>_OVERFLOW overrides the default either way (serverless.yml's environment).
 *
 * A name AWS would refuse stops the package with a message naming the parameter, before CloudFormation would.
 */
const DELIVERY_STREAM = {
  pattern: /^[a-zA-Z0-9_.-]{1,64}$/,
  what: 'a delivery stream name (1-64 of a-z A-Z 0-9 _ . -)',
};
const KINESIS_STREAM = {
  pattern: /^[a-zA-Z0-9_.-]{1,128}$/,
  what: 'a Kinesis stream name (1-128 of a-z A-Z 0-9 _ . -)',
};

/** Blueprint key in custom.firehoseOverflow -> the --param naming its stream, and what kind of stream it is. */
const BLUEPRINTS = {
  processRecord: ['firehoseProcessRecordDeliveryStream', DELIVERY_STREAM],
  jsonPartitioner: ['firehoseJsonPartitionerDeliveryStream', DELIVERY_STREAM],
  kinesisSource: ['firehoseSourceStreamName', KINESIS_STREAM],
  apacheLogToJson: ['firehoseApacheLogToJsonDeliveryStream', DELIVERY_STREAM],
  apacheLogToCsv: ['firehoseApacheLogToCsvDeliveryStream', DELIVERY_STREAM],
  syslogToJson: ['firehoseSyslogToJsonDeliveryStream', DELIVERY_STREAM],
  syslogToCsv: ['firehoseSyslogToCsvDeliveryStream', DELIVERY_STREAM],
};

/** `{ stream, overflow }` for one blueprint from its parameter's text ('' when not set); throws naming it. */
function overflowSettings(param, kind, text) {
  const stream = String(text ?? '').trim();
  if (stream === '') return { stream: '', overflow: 'processing-failed' };
  if (!kind.pattern.test(stream)) throw new Error(`--param="${param}=${text}" must be ${kind.what}`);
  return { stream, overflow: 'reingest' };
}

module.exports = {
  blueprints: async ({ resolveVariable }) => {
    const settings = {};
    for (const [key, [param, kind]] of Object.entries(BLUEPRINTS)) {
      settings[key] = overflowSettings(param, kind, await resolveVariable(`param:${param}, ""`));
    }
    return settings;
  },
  BLUEPRINTS,
  overflowSettings,
};

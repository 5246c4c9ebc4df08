/**
 * `${file(./scripts/serverless-retention.cjs):days}` is `custom.s3Retention` in serverless.yml: the lifecycle days of
 * the buckets the stack creates, from `--param` (defaults below), checked before anything is built. Each must be a
 * whole number of days, 1 or more: S3 refuses 0, and CloudFormation would only say so halfway through a deploy.
 */
const PARAMS = {
  deadLetterDays: ['deadLetterRetentionDays', 90],
  processingFailedDays: ['processingFailedRetentionDays', 90],
  noncurrentVersionDays: ['noncurrentVersionRetentionDays', 30],
};
const INCOMPLETE_UPLOAD_DAYS = 7;

/** The days `--param="<name>=<text>"` gives, as a number; throws naming the parameter otherwise. */
function retentionDays(name, text) {
  const value = String(text).trim();
  if (!/^[1-9][0-9]{0,5}$/.test(value)) {
    throw new Error(`--param="${name}=${text}" must be a whole number of days, 1 or more`);
  }
  return Number(value);
}

module.exports = {
  days: async ({ resolveVariable }) => {
    const days = { incompleteUploadDays: INCOMPLETE_UPLOAD_DAYS };
    for (const [key, [param, fallback]] of Object.entries(PARAMS)) {
      days[key] = retentionDays(param, await resolveVariable(`param:${param}, "${fallback}"`));
    }
    return days;
  },
  retentionDays,
};

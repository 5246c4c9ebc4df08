/**
 * `${file(./functions/shard-autoscaler/deploy/variables.cjs):<name>}` values for serverless.yml, computed from
 * `custom.shardAutoscaler` (see deploy/resources.cjs):
 *   streams     AUTOSCALED_STREAMS (JSON), validated with the function's policy rules
 *   defaults    SCALING_DEFAULTS (JSON)
 *   streamArns  the Kinesis stream ARNs the function's role may scale and tag
 */
const { streamArns, streamsEnvironment } = require('./resources.cjs');

const settings = (resolveVariable) => resolveVariable('self:custom.shardAutoscaler');

module.exports = {
  streams: async ({ resolveVariable }) => streamsEnvironment(await settings(resolveVariable)),
  defaults: async ({ resolveVariable }) => JSON.stringify((await settings(resolveVariable)).defaults || {}),
  streamArns: async ({ resolveVariable }) => streamArns(await settings(resolveVariable)),
};

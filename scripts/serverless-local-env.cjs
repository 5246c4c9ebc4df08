/**
 * A local Serverless Framework plugin for `serverless invoke local` (and so `npm run invoke`): every environment
 * value in serverless.yml reads `${env:NAME, <default>}` first, and a few defaults are values only the deployed
 * stack knows (a CloudFormation Fn::If / Ref / GetAtt, e.g. the bucket kinesis-to-s3 writes to). osls would try
 * to look them up in CloudFormation, or fail with "Unsupported environment variable format: { 'Fn::If': ... }".
 * This stops the run before anything is built, with one line naming the variables to set.
 *
 * (The shard autoscaler's own plugin empties its optional stack values for local runs first; what is left here is
 * required.)
 */
class LocalEnvironment {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options;
    // Before any command's lifecycle (osls resolves the environment in invoke local's first step), once
    // serverless.yml's variables are resolved.
    this.hooks = { initialize: () => this.check() };
  }

  check() {
    const commands = this.serverless.processedInput?.commands ?? [];
    if (commands.join(' ') !== 'invoke local') return;
    const service = this.serverless.service;
    const definition = service.functions?.[this.options.function];
    if (!definition) return; // osls says so itself
    const environment = { ...service.provider.environment, ...definition.environment };
    const unresolved = Object.keys(environment).filter(
      (name) => typeof environment[name] === 'object' && environment[name] !== null,
    );
    if (unresolved.length === 0) return;
    // Name the variable the user sets: a function that reads OVERFLOW from CWL_OVERFLOW lists it in
    // CONFIG_DEPLOYED_NAMES ("OVERFLOW=CWL_OVERFLOW,...").
    const deployedAs = new Map(
      String(environment.CONFIG_DEPLOYED_NAMES ?? '')
        .split(',')
        .map((pair) => pair.split('=').map((part) => part.trim()))
        .filter((pair) => pair.length === 2 && pair[0] && pair[1]),
    );
    const names = unresolved.map((name) => deployedAs.get(name) ?? name).join(', ');
    throw new this.serverless.classes.Error(
      `${this.options.function}: set ${names} for a local run (deployed, the stack supplies ${unresolved.length > 1 ? 'them' : 'it'})`,
      'KIT_LOCAL_ENV_UNSET',
    );
  }
}

module.exports = LocalEnvironment;

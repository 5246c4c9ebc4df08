/**
 * A Stryker reporter that appends every mutant the tests let through (Survived, NoCoverage) to `survivors.ndjson`
 * beside the run's JSON report, as soon as it is tested: on a long run (the log parsers take the better part of an
 * hour) tests for the first survivors can be written while the rest are still running. One JSON object per line:
 * file, line, column, mutator, replacement, status. The file is emptied when a run starts.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { commonTokens, declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin';

class SurvivorsReporter {
  static inject = [commonTokens.options];

  constructor(options) {
    const report = options.jsonReporter?.fileName ?? 'reports/mutation/mutation.json';
    this.path = join(dirname(report), 'survivors.ndjson');
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, '');
  }

  onMutantTested(result) {
    if (result.status !== 'Survived' && result.status !== 'NoCoverage') return;
    const line = {
      file: relative(process.cwd(), result.fileName),
      line: result.location.start.line,
      column: result.location.start.column,
      mutator: result.mutatorName,
      replacement: result.replacement ?? '',
      status: result.status,
    };
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'survivors', SurvivorsReporter)];

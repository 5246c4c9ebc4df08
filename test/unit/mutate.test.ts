/** npm run mutate's module table and scoring (scripts/lib/mutation.ts). */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Equivalent, MODULES, runsFor, scoreFiles, staleEquivalents } from '../../scripts/lib/mutation';

const mutant = (
  line: number,
  status: string,
  mutatorName = 'ConditionalExpression',
  replacement = 'true',
) => ({
  id: `${line}-${status}`,
  mutatorName,
  replacement,
  status,
  location: { start: { line, column: 1 } },
});

describe('npm run mutate', () => {
  it('scores detected over valid mutants, and sets listed equivalents aside', () => {
    const report = {
      files: {
        'a.ts': {
          mutants: [
            mutant(1, 'Killed'),
            mutant(2, 'Timeout'),
            mutant(3, 'Survived'),
            mutant(4, 'NoCoverage'),
            mutant(5, 'CompileError'),
            mutant(6, 'Ignored'),
          ],
        },
      },
    };
    const equivalents: Equivalent[] = [
      { file: 'a.ts', line: 3, mutator: 'ConditionalExpression', replacement: 'true', reason: 'r' },
      { file: 'a.ts', line: 9, mutator: 'ConditionalExpression', replacement: 'true', reason: 'gone' },
      { file: 'a.ts', line: 1, mutator: 'ConditionalExpression', replacement: 'true', reason: 'killed now' },
      { file: 'b.ts', line: 1, mutator: 'X', replacement: 'y', reason: 'not in this run' },
    ];
    const [score] = scoreFiles(report, equivalents);
    expect(score).toMatchObject({
      file: 'a.ts',
      mutants: 4,
      killed: 2,
      survived: 1,
      noCoverage: 1,
      equivalent: 1,
    });
    expect(score!.score).toBe(50);
    expect(score!.adjusted).toBeCloseTo(66.67, 2);
    expect(score!.open).toEqual([
      { line: 4, mutator: 'ConditionalExpression', replacement: 'true', status: 'NoCoverage' },
    ]);
    // Listed mutants that are killed or absent are stale; files outside the run are not judged.
    expect(staleEquivalents(report, equivalents).map((e) => e.line)).toEqual([9, 1]);
    // A listed mutant matches on line, mutator and replacement.
    const other = scoreFiles(
      { files: { 'a.ts': { mutants: [mutant(3, 'Survived', 'BooleanLiteral')] } } },
      equivalents,
    );
    expect(other[0]!.equivalent).toBe(0);
    // A column, when given, must match too.
    const columned = {
      file: 'a.ts',
      line: 3,
      column: 9,
      mutator: 'ConditionalExpression',
      replacement: 'true',
      reason: 'r',
    };
    expect(scoreFiles(report, [columned])[0]!.equivalent).toBe(0);
    expect(scoreFiles(report, [{ ...columned, column: 1 }])[0]!.equivalent).toBe(1);
  });

  it('runs a group, a file of a group, or every group; refuses anything else', () => {
    expect(runsFor(['kpl'])).toEqual([{ label: 'kpl', files: MODULES.kpl }]);
    expect(runsFor(['./shared/kpl/decode.ts'])).toEqual([
      { label: 'shared-kpl-decode', files: ['shared/kpl/decode.ts'] },
    ]);
    expect(runsFor([]).map((r) => r.label)).toEqual(Object.keys(MODULES));
    expect(() => runsFor(['shared/aws/clients.ts'])).toThrow(/neither a group .* nor one of their files/s);
  });

  it('lists existing files, and equivalents with a one-line reason for files it mutates', () => {
    const files = Object.values(MODULES).flat();
    for (const file of files) expect(existsSync(file), file).toBe(true);
    const equivalents: Equivalent[] = JSON.parse(readFileSync('mutation/equivalent-mutants.json', 'utf8'));
    for (const e of equivalents) {
      expect(files).toContain(e.file);
      expect(e.reason.length).toBeGreaterThan(10);
      expect(e.reason).not.toMatch(/\n/);
      expect(Number.isInteger(e.line)).toBe(true);
    }
  });
});

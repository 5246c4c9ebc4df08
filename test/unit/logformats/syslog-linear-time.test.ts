/**
 * The syslog bytes path's fast scanner in linear time, on adversarial lines. Kept apart from the output tests: it pins
 * speed, not output, and mutation runs leave it out (mutation/vitest.config.ts), as they leave out linear-time.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ByteWriter, writeSyslogCsv, writeSyslogJson } from '../../../shared/logformats';

type Format = 'json' | 'csv';
const referenceTime = Date.UTC(2024, 9, 11, 22, 15, 0);

describe('syslog bytes path in linear time', () => {
  // The bytes path's fast scanner on adversarial lines (SD names, which it compares pairwise up to its caps; escapes
  // that make it ask for more room; a long tag-like word): 10x the line costs at most ~10x the time.
  const cases: [string, (size: number) => string][] = [
    // Within the fast path's caps (past them the careful path takes over: linear-time.test.ts times it).
    [
      '64 SD params with long values',
      (n) =>
        `<14>1 - h a - - [x@1${Array.from({ length: 64 }, (_, i) => ` p${i}="${'v'.repeat(n / 64)}"`).join('')}] m`,
    ],
    [
      '16 SD elements with long values',
      (n) =>
        `<14>1 - h a - - ${Array.from({ length: 16 }, (_, i) => `[e${i} a="${'v'.repeat(n / 16)}"]`).join('')} m`,
    ],
    ['a message of quotes', (n) => `<34>Oct 11 22:14:15 host app[1]: ${'"'.repeat(n)}`],
    ['a message of control characters', (n) => `<14>1 - h a - - - ${'\u0001'.repeat(n)}`],
    ['a long tag-like word', (n) => `Oct 11 22:14:15 host ${'t['.repeat(n / 2)}`],
  ];
  const w = new ByteWriter();
  const timeOf = (text: string, format: Format) => {
    const bytes = Buffer.from(text, 'utf8');
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round++) {
      const start = performance.now();
      try {
        if (format === 'json') writeSyslogJson(bytes, 0, bytes.length, w, { referenceTime });
        else writeSyslogCsv(bytes, 0, bytes.length, w, { referenceTime });
      } catch {
        // Rejecting the line is a result too.
      }
      w.reset();
      best = Math.min(best, performance.now() - start);
    }
    return best;
  };
  for (const [name, build] of cases) {
    it(name, () => {
      for (const format of ['json', 'csv'] as const) {
        const [t100k, t1m] = [100_000, 1_000_000].map((size) => timeOf(build(size), format)) as [
          number,
          number,
        ];
        expect(t1m, `${name} ${format}: ${t100k.toFixed(2)} / ${t1m.toFixed(2)} ms`).toBeLessThan(
          30 * t100k + 50,
        );
      }
    });
  }
});

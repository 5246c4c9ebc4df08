/**
 * How many cases a property test runs: `runs(n)` is n, or a sample of it when PROPERTY_SCALE is below 1. Mutation
 * runs (npm run mutate, mutation/setup-env.ts) set it, so that a property test covering hundreds of mutants of a log
 * parser costs seconds per mutant, not a minute; `npm test` runs every case.
 */
const SCALE = Number(process.env.PROPERTY_SCALE ?? 1);

export function runs(n: number): number {
  return SCALE >= 1 ? n : Math.max(100, Math.round(n * SCALE));
}

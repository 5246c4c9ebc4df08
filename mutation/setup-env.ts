/**
 * The unit tests' environment without the emulators: EMF metrics off stdout, logger silent, and the region the
 * emulators' global setup would set (configs such as kinesis-to-opensearch's default their region to AWS_REGION).
 */
import fc from 'fast-check';

process.env.AWS_REGION ??= 'us-east-1';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.KPL_FUZZ_SCALE ??= '0.05';

// A failing property ends the test at once: shrinking the counterexample only costs time in a mutation run, where
// any failure kills the mutant.
fc.configureGlobal({ endOnFailure: true });
// Property tests run a sample of their cases (test/support/property-runs.ts): 400 of a 4,000-line property.
process.env.PROPERTY_SCALE ??= '0.1';

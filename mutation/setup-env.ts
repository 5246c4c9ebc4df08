/** The unit tests' environment without the emulators: EMF metrics off stdout, logger silent. */
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.KPL_FUZZ_SCALE ??= '0.05';

/**
 * Runs in every test worker before its tests: points the SDK at the emulators started by the global setup and
 * keeps EMF metrics off stdout (tests that check metrics turn them back on).
 */
import { inject } from 'vitest';

Object.assign(process.env, inject('emulatorEnv'));
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// Silent by default: tests that check log lines spy on the logger.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

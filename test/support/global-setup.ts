/**
 * vitest global setup: one set of emulators for the whole run. Their variables go into process.env before the
 * test workers start (workers inherit them) and are also provided as `inject('emulatorEnv')`.
 */
import type { TestProject } from 'vitest/node';
import { startEmulators } from './emulators';

declare module 'vitest' {
  export interface ProvidedContext {
    emulatorEnv: Record<string, string>;
  }
}

export default async function setup(project: TestProject) {
  const emulators = await startEmulators();
  Object.assign(process.env, emulators.env);
  project.provide('emulatorEnv', emulators.env);
  return async () => {
    await emulators.stop();
  };
}

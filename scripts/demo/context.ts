/** What `npm start` hands each demo: the running emulators (their env is already in process.env). */
import type { Emulators } from '../../test/support/emulators';

export interface DemoContext {
  emulators: Emulators;
  /** Repo-relative folder for files a demo writes (under .local/, git-ignored). */
  outputDir: string;
}

/** A demo module under scripts/demo/ exports `demo`, which prints its own short summary. */
export type Demo = (ctx: DemoContext) => Promise<void>;

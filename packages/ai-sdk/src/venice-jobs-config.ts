import type { JobProgress, VeniceJobs, VeniceJobsOptions } from '@venice-x402/core';

/** How the provider's video and music models poll their jobs (`createVenice({ jobs })`). */
export type VeniceJobSettings = Pick<
  VeniceJobsOptions,
  'pollIntervalMs' | 'maxPollIntervalMs' | 'maxPolls' | 'maxPollErrors' | 'sleep' | 'now' | 'download'
> & {
  /** Called on every poll of a running job (status, Venice's typical run time, time so far). */
  onProgress?: (progress: JobProgress) => void;
};

/** What a video or music model needs: the jobs API over the provider's paid fetch and budget. */
export interface VeniceJobModelConfig {
  provider: string;
  jobs: () => VeniceJobs;
  onProgress?: (progress: JobProgress) => void;
}

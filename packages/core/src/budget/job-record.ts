import type { JobRecord } from './store.js';

/** A job record as plain JSON (micro-USD as decimal strings): how the file and Redis stores write it. */
export type JobJson = Omit<JobRecord, 'quoteMicros' | 'refundedMicros'> & {
  quoteMicros: string;
  refundedMicros?: string;
};

export const JOB_STATES = ['queued', 'delivered', 'failed', 'completed'] as const;

export const jobToJson = (j: JobRecord): JobJson => ({
  ...j,
  scopes: [...j.scopes],
  quoteMicros: String(j.quoteMicros),
  refundedMicros: j.refundedMicros === undefined ? undefined : String(j.refundedMicros),
});

export const jobFromJson = (j: JobJson): JobRecord => ({
  ...j,
  scopes: [...j.scopes],
  quoteMicros: BigInt(j.quoteMicros),
  refundedMicros: j.refundedMicros === undefined ? undefined : BigInt(j.refundedMicros),
});

/** A stored job record read back, or undefined when it is not one (a hand-edited or foreign value). */
export function parseJobJson(value: string): JobRecord | undefined {
  try {
    const j = JSON.parse(value);
    const ok =
      j &&
      typeof j.id === 'string' &&
      (j.kind === 'video' || j.kind === 'audio') &&
      typeof j.model === 'string' &&
      /^\d{1,18}$/.test(j.quoteMicros) &&
      Array.isArray(j.scopes) &&
      JOB_STATES.includes(j.state) &&
      (j.refundedMicros === undefined || /^\d{1,18}$/.test(j.refundedMicros));
    return ok ? jobFromJson(j) : undefined;
  } catch {
    return undefined;
  }
}

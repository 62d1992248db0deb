/**
 * A video job paid by a wallet under a budget: `experimental_generateVideo` through the AI SDK provider, then the
 * core job lifecycle — a job queued by one process and resumed (and settled once) by the next, and a failed job
 * refunded to the budget. The budget lives in a file store, as a restarted process would find it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVenice } from '@venice-x402/ai-sdk';
import { createBudget, createVeniceJobs, fileStore, JobFailedError, type JobProgress } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { experimental_generateVideo as generateVideo } from 'ai';
import { money, setup, step } from '../shared/setup.js';

const env = await setup();
const budgetFile = join(mkdtempSync(join(tmpdir(), 'video-job-')), 'budget.jsonl');
// Venice says how long a job usually takes; polls wait up to this long in between (a few seconds live).
const polling = { pollIntervalMs: env.live ? 2_000 : 50, maxPollIntervalMs: env.live ? 10_000 : 100 };
const showProgress = (p: JobProgress) =>
  console.log(`  … ${p.status} after ${p.polls} poll(s), typical run ${(p.averageExecutionTimeMs ?? 0) / 1000} s`);
/** One process: a budget over the shared file, its paid fetch and the job lifecycle over them. */
const processOver = () => {
  const budget = createBudget({ limits: { dailyUsd: 2 } }, { store: fileStore(budgetFile) });
  const jobs = createVeniceJobs({
    fetch: createX402Fetch({ wallet: env.wallet, budget }),
    budget,
    baseURL: env.baseURL,
    ...polling,
  });
  return { budget, jobs };
};

try {
  if (env.sim) env.sim.credit(env.wallet.address, 3); // prepaid balance, as after a top-up
  const budget = createBudget({ limits: { dailyUsd: 2 } }, { store: fileStore(budgetFile) });
  const venice = createVenice({
    wallet: env.wallet,
    budget,
    baseURL: env.baseURL,
    jobs: { ...polling, onProgress: showProgress },
  });

  step('experimental_generateVideo: quoted, held at exactly the quote, queued, polled, downloaded');
  const { video, providerMetadata } = await generateVideo({
    model: venice.video('wan-2.5-preview-text-to-video'),
    prompt: 'A gondola gliding under a bridge at sunset',
    duration: 5,
    aspectRatio: '16:9',
  });
  const meta = providerMetadata.venice as { costUsd: number; queueId: string };
  console.log(
    `  ${video.mediaType}, ${video.uint8Array.length} bytes; cost ${money(meta.costUsd, 2)}, job ${meta.queueId}`,
  );

  step('a job queued by one process, resumed by the next');
  const first = processOver();
  const queued = await first.jobs.queue('video', {
    model: 'grok-imagine-text-to-video-private',
    prompt: 'Waves on a pebble beach',
    duration: '5s',
  });
  console.log(
    `  queued ${queued.id} at ${money(Number(queued.quoteMicros) / 1e6, 2)}; one-time link kept: ${Boolean(queued.downloadUrl)}`,
  );
  await first.budget.close(); // the process ends before the job is done
  const next = processOver();
  for (const job of await next.jobs.pending()) {
    const done = await next.jobs.wait(job, { onProgress: showProgress });
    console.log(`  resumed ${done.queueId}: ${done.media.mediaType}, settled by this process: ${done.settled}`);
  }

  if (env.sim) {
    step('a job the provider fails is refunded to the budget');
    env.sim.setFaults([{ kind: 'job_failure', route: '/video/queue', count: 1 }]);
    await next.jobs
      .run('video', { model: 'wan-2.5-preview-text-to-video', prompt: 'A storm', duration: '5s' })
      .catch((e) => {
        if (!(e instanceof JobFailedError)) throw e;
        console.log(`  ${e.name}: refunded ${money(e.refundedUsd, 2)}`);
      });
  }

  step('spend');
  const report = await next.budget.report({ by: 'model' });
  for (const row of report.rows) console.log(`  ${row.key.padEnd(36)} ${money(row.spentUsd, 2)} (${row.calls} calls)`);
  console.log(
    `  total ${money(report.totalUsd, 2)}${env.sim ? `; simulator charged ${money(Number(env.sim.ledger.totalCharged(env.wallet.address)) / 1e6, 2)}` : ''}`,
  );
  await next.budget.close();
  await budget.close();
} finally {
  await env.stop();
}

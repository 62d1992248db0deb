import { type Micros, microsToUsd, usdToMicros } from '@venice-x402/core';

/**
 * What a multi-step agent run has cost so far. An agent loop sends the model's tool calls back with their results,
 * so a step whose prompt answers tool calls of earlier steps continues their run: its total is the total of the
 * latest step it answers plus its own cost. Tool-call ids (data from the server) are map keys only.
 */
export class RunCosts {
  readonly #totals = new Map<string, Micros>();

  constructor(private readonly capacity = 10_000) {}

  /**
   * Adds one step and answers the run's total in USD. `answered`: tool-call ids whose results this step's prompt
   * carries; `made`: the tool calls this step asked for (the next step will answer them).
   */
  add(stepCostUsd: number | undefined, answered: Iterable<string>, made: Iterable<string>): number {
    let earlier = 0n;
    for (const id of answered) {
      const total = this.#totals.get(id);
      if (total !== undefined && total > earlier) earlier = total;
    }
    const total = earlier + (stepCostUsd === undefined ? 0n : usdToMicros(stepCostUsd));
    for (const id of made) {
      this.#totals.delete(id);
      this.#totals.set(id, total);
      if (this.#totals.size > this.capacity) this.#totals.delete(this.#totals.keys().next().value!);
    }
    return microsToUsd(total);
  }
}

/**
 * The store's own clock for deciding what is old: a window to forget, a hold that expired, a top-up lock that
 * lapsed, a settled id to forget. It runs on the monotonic clock (`performance.now()`) from the wall time the
 * store started at, so no single reading a caller passes in (`now` of a skewed machine, a clock that jumps 49 h
 * ahead once) can make today look like the past: a reading counts only as far as this clock has really run.
 * A reading behind it is taken as it is (a clock set back only keeps things longer, which never overspends).
 */
export class StoreClock {
  private readonly wallAtStart = Date.now();
  private readonly monoAtStart = performance.now();

  /** The wall time as the monotonic clock counts it since the store started. */
  anchored(): number {
    return this.wallAtStart + (performance.now() - this.monoAtStart);
  }

  /** How late `reading` may be taken to be when deciding what is old: never past the anchored clock. */
  trusted(reading: number): number {
    const anchored = this.anchored();
    return reading < anchored ? reading : anchored;
  }
}

/** A promise with its resolver, for "the server has it now" moments: tests await these instead of sleeping. */
export function signal<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

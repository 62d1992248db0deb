import type { BudgetEvents } from './budget-types.js';

type Listener<T> = (event: T) => void;

/** The budget's events: a listener's failure never reaches the paid call that emitted them. */
export class BudgetEmitter {
  private readonly listeners = new Map<keyof BudgetEvents, Set<Listener<any>>>();

  on<K extends keyof BudgetEvents>(event: K, listener: Listener<BudgetEvents[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Whether anyone listens: payloads that cost something to build are built only then. */
  listening(event: keyof BudgetEvents): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof BudgetEvents>(event: K, payload: BudgetEvents[K]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        fn(payload);
      } catch {
        // A listener's failure must never break a paid call.
      }
    }
  }
}

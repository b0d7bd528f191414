/**
 * Calls a caller's listener. If it throws, the error is rethrown on its own, so it still surfaces as
 * uncaught (as an EventEmitter listener's would) while the delivery that called it, and its seq
 * bookkeeping, carries on.
 */
export function callListener<Args extends unknown[]>(listener: (...args: Args) => void, ...args: Args): void {
  try {
    listener(...args);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** Waiting with a deadline: every wait in the sequence goes through here. */

/**
 * Resolves `true` once `promise` settles, or `false` when `ms` pass or `abort` fires first.
 * The timer is ref'd on purpose: the sequence must reach its exit even when nothing else keeps
 * the event loop alive (an unref'd pino transport worker, for instance).
 */
export function settleWithin(promise: PromiseLike<unknown>, ms: number, abort?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (abort?.aborted === true || ms <= 0) {
      resolve(false);
      return;
    }
    const finish = (settled: boolean): void => {
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
      resolve(settled);
    };
    const onAbort = (): void => finish(false);
    const timer = setTimeout(finish, ms, false);
    abort?.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(promise).then(
      () => finish(true),
      () => finish(true),
    );
  });
}

/** Sleeps `ms`, or less when `abort` fires. */
export function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return settleWithin(new Promise(() => {}), ms, abort).then(() => undefined);
}

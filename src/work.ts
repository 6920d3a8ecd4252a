/** Non-HTTP work (queue consumers, batch jobs) that the drain waits for like requests. */
import type { WorkToken } from './types.js';

export class WorkTracker {
  /** Units of work begun and not yet ended. */
  active = 0;
  /** Called when a unit ends. */
  onCountDown: () => void = () => {};

  /** Counts a unit of work until `end()` is called. */
  begin(): WorkToken {
    this.active++;
    let ended = false;
    return {
      end: () => {
        if (ended) return;
        ended = true;
        this.active--;
        this.onCountDown();
      },
    };
  }

  /** Counts a promise as work until it settles; returns the same promise. */
  track<T>(promise: PromiseLike<T>): PromiseLike<T> {
    const token = this.begin();
    Promise.resolve(promise).then(token.end, token.end);
    return promise;
  }
}

/**
 * The crash path. When Node would exit on an uncaught exception (or an unhandled rejection, which
 * Node turns into one), the moment telemetry matters most, graceful-otel writes the error as Node
 * would, fails readiness, records the error on the shutdown span and in a log line, flushes
 * telemetry and log buffers within the flush budget, and exits 1 as Node would. It does not drain
 * or run hooks: the process is in an unknown state.
 *
 * An app with an `uncaughtException` listener of its own keeps full control: graceful-otel then
 * does nothing. (Listening for the event is what keeps Node from exiting at once, so graceful-otel's
 * listener steps aside whenever another one is there.)
 */
export type CrashOrigin = 'uncaughtException' | 'unhandledRejection';

/** Node's exit code for an uncaught exception. */
export const EXIT_CRASH = 1;

export function watchCrashes(onCrash: (error: unknown, origin: CrashOrigin) => void): void {
  process.on('uncaughtException', function gracefulOtelCrash(error: unknown, origin: CrashOrigin) {
    if (process.listenerCount('uncaughtException') > 1) return; // the app's own handler decides
    onCrash(error, origin);
  });
}

/** What Node prints for an uncaught error: its stack (or the value). */
export function describeCrash(error: unknown): { type: string; message: string; stack: string } {
  if (error instanceof Error) return { type: error.name, message: error.message, stack: error.stack ?? `${error.name}: ${error.message}` };
  const text = (() => {
    try {
      return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
    } catch {
      return String(error);
    }
  })();
  return { type: typeof error, message: text, stack: `Uncaught ${text}` };
}

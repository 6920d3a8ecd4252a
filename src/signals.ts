/**
 * Signal handling. graceful-otel listens for the configured signals and *adopts* every other
 * listener of those signals, present or added later: it takes them off the process so they do not
 * run at signal time (the OpenTelemetry auto-instrumentations register, for one, calls
 * `sdk.shutdown()` there, which drops every span that ends during the drain) and runs them itself
 * after the drain, once the shutdown spans have ended, before the final flush.
 */

type Listener = (...args: unknown[]) => unknown;

/** An adopted listener, ready to be run by the flush phase. */
export interface AdoptedListener {
  /** `SIGTERM listener #1 (name)`, as hook results report it. */
  name: string;
  run(): unknown;
}

export class SignalRouter {
  private readonly adopted: { signal: NodeJS.Signals; listener: Listener }[] = [];
  private installed = false;

  constructor(
    private readonly signals: readonly NodeJS.Signals[],
    private readonly onSignal: (signal: NodeJS.Signals) => void,
  ) {}

  private readonly handler = (signal: NodeJS.Signals): void => this.onSignal(signal);

  // 'newListener' fires before the listener is added, so it is taken off on the next tick.
  private readonly onNewListener = (event: string | symbol, listener: Listener): void => {
    if (typeof event !== 'string' || !this.signals.includes(event as NodeJS.Signals) || listener === this.handler) return;
    process.nextTick(() => this.adopt(event as NodeJS.Signals, listener));
  };

  /**
   * `process.removeAllListeners(signal)` by the app also removes graceful-otel's handler. Without
   * the preload it would have removed the listeners adopted so far: they are dropped the same way,
   * and graceful-otel's handler comes back on the next tick, so a handler the app adds next is
   * adopted as usual instead of the signal going unhandled (the process killed at once).
   */
  private readonly onRemoveListener = (event: string | symbol, listener: Listener): void => {
    if (!this.installed || listener !== (this.handler as Listener)) return;
    const signal = event as NodeJS.Signals;
    for (let i = this.adopted.length - 1; i >= 0; i--) if (this.adopted[i]?.signal === signal) this.adopted.splice(i, 1);
    process.nextTick(() => {
      if (this.installed && !(process.listeners(signal) as Listener[]).includes(this.handler as Listener)) process.on(signal, this.handler);
    });
  };

  install(): void {
    if (this.installed) return;
    this.installed = true;
    for (const signal of this.signals) {
      for (const listener of process.listeners(signal) as Listener[]) this.adopt(signal, listener);
      process.on(signal, this.handler);
    }
    process.on('newListener', this.onNewListener);
    process.on('removeListener', this.onRemoveListener);
  }

  /** Gives adopted listeners back to the process and stops listening. */
  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    process.off('newListener', this.onNewListener);
    process.off('removeListener', this.onRemoveListener);
    for (const signal of this.signals) process.off(signal, this.handler);
    for (const { signal, listener } of this.adopted.splice(0)) process.on(signal, listener);
  }

  /** Adopted listeners of `signal`, in the order they were added, each called as the process would call it. */
  adoptedFor(signal: NodeJS.Signals): AdoptedListener[] {
    return this.adopted
      .filter((a) => a.signal === signal)
      .map(({ listener }, i) => ({
        name: `${signal} listener #${i + 1}${listener.name ? ` (${listener.name})` : ''}`,
        run: () => listener.call(process, signal),
      }));
  }

  private adopt(signal: NodeJS.Signals, listener: Listener): void {
    if (!(process.listeners(signal) as Listener[]).includes(listener)) return;
    process.removeListener(signal, listener);
    this.adopted.push({ signal, listener });
  }
}

/**
 * The destination of graceful-otel's own log lines: writes to a file descriptor off the main
 * thread, in order, and can tell when everything queued is written. (An asynchronous SonicBoom's
 * `flush(cb)` answers before its in-flight write lands, and a synchronous one would block the
 * exit on a full pipe.)
 */
import { fstat, write } from 'node:fs';

export class FdWriter {
  private readonly queue: Buffer[] = [];
  private writing = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly fd: number) {}

  /** pino's destination interface. */
  write(chunk: string): boolean {
    this.queue.push(Buffer.from(chunk));
    if (!this.writing) this.next();
    return true;
  }

  /**
   * Has libuv start its thread pool (writes run there), which the first write would otherwise do
   * (~1 ms): done at the warm-up, so a shutdown's first line does not pay for it.
   */
  prepare(): void {
    fstat(this.fd, () => {});
  }

  /** Resolves once every queued line is written (or could not be: a closed fd drops them). */
  drained(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private next(): void {
    if (this.queue.length === 0) {
      this.writing = false;
      for (const resolve of this.waiters.splice(0)) resolve();
      return;
    }
    this.writing = true;
    const chunk = this.queue.length === 1 ? (this.queue[0] as Buffer) : Buffer.concat(this.queue);
    this.queue.length = 0;
    this.writeChunk(chunk);
  }

  private writeChunk(chunk: Buffer): void {
    write(this.fd, chunk, (error, written) => {
      if (error !== null && error.code === 'EAGAIN') {
        setTimeout(() => this.writeChunk(chunk), 10).unref();
        return;
      }
      if (error === null && written < chunk.length) {
        this.writeChunk(chunk.subarray(written));
        return;
      }
      this.next();
    });
  }
}

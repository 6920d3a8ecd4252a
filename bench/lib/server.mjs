// Spawning a bench server pinned to CPU 0, reading its /stats, and timing SIGTERM → exit from
// here (performance.now() around kill() and the child's 'exit' event; nothing subtracted).
import { spawn } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv, ROOT } from './variants.mjs';

export const NODE = process.execPath;
const SERVER_CPU = '0';
const START_TIMEOUT_MS = 20_000;
const EXIT_TIMEOUT_MS = 40_000;

/** Spawns a variant's server; resolves once it announced its port (with the time that took). */
export function startServer(variant, receiverUrl) {
  const started = performance.now();
  const child = spawn('taskset', ['-c', SERVER_CPU, NODE, ...(variant.flags ?? []), variant.file], {
    cwd: ROOT,
    env: childEnv(variant, receiverUrl),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  return new Promise((resolve, reject) => {
    let stdout = '';
    let settled = false;
    const timer = setTimeout(() => fail(`no port announced within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${variant.id}: ${why}\n${stderr}`));
    };
    exited.then(({ code, signal }) => fail(`exited early (code ${code}, signal ${signal})`));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('{"port":'));
      if (line === undefined) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      const server = new BenchServer(variant, child, JSON.parse(line).port, exited, () => stderr);
      resolve({ server, startupMs: performance.now() - started });
    });
  });
}

class BenchServer {
  constructor(variant, child, port, exited, stderr) {
    Object.assign(this, { variant, child, port, exited, stderr, announcedAt: performance.now() });
  }

  /** The server's own view of itself (CPU µs, RSS, held requests), over a fresh connection. */
  stats() {
    return new Promise((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port: this.port, path: '/stats', agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(JSON.parse(body)));
      });
      request.setTimeout(5000, () => request.destroy(new Error('stats timed out')));
      request.on('error', reject);
    });
  }

  /**
   * Waits until the server is quiet: under 2 ms of CPU per 100 ms (lazy loads done), at most
   * `maxMs`; and at least until the variant's `settleMs` after it announced its port (graceful-otel
   * loads a private SDK a while after listening, past the first traffic).
   */
  async settle(maxMs = 5000) {
    await sleep(Math.max(0, this.announcedAt + (this.variant.settleMs ?? 0) - performance.now()));
    const deadline = performance.now() + maxMs;
    let last = (await this.stats()).cpuMicros;
    while (performance.now() < deadline) {
      await sleep(100);
      const now = (await this.stats()).cpuMicros;
      if (now - last < 2000) return;
      last = now;
    }
  }

  /** Sends SIGTERM and resolves with the milliseconds until the process exited. */
  async stopTimed() {
    const t0 = performance.now();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    const { code, signal, at } = await this.exited;
    clearTimeout(timer);
    return { ms: at - t0, code, signal, stderr: this.stderr() };
  }

  /** Ends the process without measuring. */
  async kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

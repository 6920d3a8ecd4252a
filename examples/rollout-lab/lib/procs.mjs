// Child processes of one lab run. Every spawn is recorded, so an interrupted run (Ctrl-C, SIGTERM,
// an exception) still kills each child by its pid and removes the temp dir. Output goes to a log
// file per child under the temp dir and to line listeners.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Lines kept per child for error messages. */
const TAIL_LINES = 40;

export class Child {
  /** @param {import('node:child_process').ChildProcess} proc */
  constructor(name, proc, logPath) {
    this.name = name;
    this.proc = proc;
    this.pid = proc.pid;
    this.tail = [];
    this.listeners = new Set();
    this.exit = undefined;
    const log = createWriteStream(logPath);
    const split = (stream) => {
      let partial = '';
      return (chunk) => {
        log.write(chunk);
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.#line(stream, line);
      };
    };
    proc.stdout?.on('data', split('stdout'));
    proc.stderr?.on('data', split('stderr'));
    this.exited = new Promise((resolve) => {
      proc.once('error', (error) => {
        this.exit ??= { code: null, signal: null, at: performance.now(), error: error.message };
        resolve(this.exit);
      });
      proc.once('close', (code, signal) => {
        log.end();
        this.exit ??= { code, signal, at: performance.now() };
        resolve(this.exit);
      });
    });
  }

  get alive() {
    return this.exit === undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  kill(signal) {
    if (this.alive) this.proc.kill(signal);
  }

  /** Calls `fn(line, stream)` for every later line; returns the unsubscribe function. */
  onLine(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves with the first later line passing `test`; rejects on exit or after `ms`. */
  waitForLine(test, ms, what) {
    return new Promise((resolve, reject) => {
      const done = (fn, value) => {
        clearTimeout(timer);
        off();
        fn(value);
      };
      const off = this.onLine((line) => test(line) && done(resolve, line));
      const timer = setTimeout(() => done(reject, this.failure(`no ${what} within ${ms} ms`)), ms);
      this.exited.then(() => done(reject, this.failure(`exited before ${what}`)));
    });
  }

  /** An Error naming the child, with the end of its output. */
  failure(message) {
    return new Error(`${this.name} (pid ${this.pid}): ${message}\n  ${this.tail.join('\n  ')}`);
  }

  #line(stream, line) {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    for (const fn of this.listeners) fn(line, stream);
  }
}

export class Supervisor {
  constructor({ keepTemp = false } = {}) {
    this.tmp = mkdtempSync(join(tmpdir(), 'graceful-otel-lab-'));
    this.logs = join(this.tmp, 'logs');
    mkdirSync(this.logs);
    this.keepTemp = keepTemp;
    /** @type {Set<Child>} */
    this.children = new Set();
    this.count = 0;
  }

  /** Spawns `command` with stdin closed and stdout/stderr piped; never through a shell. */
  spawn(name, command, args, { env = {}, cwd } = {}) {
    const proc = spawn(command, args, { cwd, env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const child = new Child(name, proc, join(this.logs, `${String(++this.count).padStart(3, '0')}-${name}.log`));
    this.children.add(child);
    child.exited.then(() => this.children.delete(child));
    return child;
  }

  /** Synchronous and idempotent, so it can run from an 'exit' listener: SIGKILL by pid, rm -r tmp. */
  cleanup() {
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
    if (!this.keepTemp) rmSync(this.tmp, { recursive: true, force: true });
  }

  /** Cleans up on exit and on SIGINT/SIGTERM/SIGHUP (exit 128 + signal number). */
  installExitHandlers() {
    process.once('exit', () => this.cleanup());
    for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
      process.once(signal, () => {
        process.stderr.write(`\nlab: ${signal}: stopping ${this.children.size} child process(es) and removing ${this.tmp}\n`);
        this.cleanup();
        process.exit(128 + number);
      });
    }
  }
}

/** A small, explicit environment: no stray GRACEFUL_OTEL_* or NODE_OPTIONS from the caller. */
function baseEnv() {
  const { PATH, LANG, TZ } = process.env;
  return Object.fromEntries(Object.entries({ PATH, LANG, TZ }).filter(([, v]) => v !== undefined));
}

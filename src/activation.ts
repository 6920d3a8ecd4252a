/**
 * When the preload becomes active. `NODE_OPTIONS` hands the preload to every Node process in a
 * container — npm, tsx, a preStop hook's `node -e`, migration scripts — and most of them never
 * serve. So the preload only listens, through diagnostics channels, for the moment the process
 * becomes a server, and until then installs nothing: no signal listener, no port, no log line.
 *
 * - The first HTTP, HTTPS or HTTP/2 server that calls `listen()` activates it. The channel fires
 *   inside `listen()`, before the address is bound, so an invalid configuration stops the process
 *   before it serves.
 * - A cluster primary activates when it forks its first worker: it serves through its workers.
 * - Calling the API's `start()` activates it at once.
 *
 * A SIGTERM that arrives before activation is not graceful-otel's: nothing is served yet, and the
 * process does what it would do without the preload.
 */
import dc from 'node:diagnostics_channel';
import type { Server } from 'node:net';

const LISTEN_START = 'tracing:net.server.listen:asyncStart';
const CHILD_PROCESS = 'child_process';

export interface Activation {
  /** The process starts serving HTTP: `server` is about to bind. */
  server(server: Server): void;
  /** The process is a cluster primary that just forked a worker. */
  clusterPrimary(): void;
}

/**
 * Waits for the process to serve; `isHttp` is asked about each server that listens (loaded
 * lazily so a process that never listens loads nothing more).
 */
export function activateWhenServing(isHttp: (server: Server) => boolean, activate: Activation): void {
  let done = false;
  const finish = (): void => {
    done = true;
    dc.unsubscribe(LISTEN_START, onListen);
    dc.unsubscribe(CHILD_PROCESS, onChild);
  };
  function onListen(message: unknown): void {
    const server = (message as { server?: Server }).server;
    if (done || server === undefined || !isHttp(server)) return;
    finish();
    activate.server(server);
  }
  function onChild(): void {
    // cluster.fork() is child_process.fork() with NODE_UNIQUE_ID in the child's environment; the
    // worker joins cluster.workers right after this event.
    setImmediate(() => {
      if (done || !isClusterPrimaryWithWorkers()) return;
      finish();
      activate.clusterPrimary();
    });
  }
  dc.subscribe(LISTEN_START, onListen);
  dc.subscribe(CHILD_PROCESS, onChild);
}

/** True in a cluster worker (it serves; the primary answers the health probes). */
export function isClusterWorker(): boolean {
  return loadedCluster()?.isWorker === true;
}

function isClusterPrimaryWithWorkers(): boolean {
  const cluster = loadedCluster();
  return cluster !== undefined && cluster.isPrimary && Object.keys(cluster.workers ?? {}).length > 0;
}

/**
 * node:cluster if the process has loaded it (a worker always has; Node removes NODE_UNIQUE_ID
 * from its environment at startup), never loading it otherwise: a process that spawns children
 * without node:cluster (npm, tsx, a wrapper) has not.
 */
function loadedCluster(): typeof import('node:cluster').default | undefined {
  if (!process.moduleLoadList?.includes('NativeModule cluster')) return undefined;
  return require('node:cluster') as typeof import('node:cluster').default;
}

declare global {
  namespace NodeJS {
    interface Process {
      /** Internal list of loaded modules; present on every Node version we support. */
      readonly moduleLoadList?: readonly string[];
    }
  }
}

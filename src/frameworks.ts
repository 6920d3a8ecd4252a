/**
 * Framework shutdown hooks with no code change. Fastify publishes every root instance on the
 * diagnostics channel `fastify.initialization` (fastify.js); its `onClose` hooks, where plugins
 * close their pools, run only through `fastify.close()`. Each instance gets a cleanup hook that
 * calls it, after the drain like every hook; an instance the app closes itself drops its hook.
 * hapi and Koa publish nothing: the README gives their one-liners.
 */
import dc from 'node:diagnostics_channel';
import type { ShutdownHook } from './types.js';

export const FASTIFY_CHANNEL = 'fastify.initialization';

/** The part of a Fastify instance used here. */
interface FastifyLike {
  close(): PromiseLike<unknown>;
  addHook(name: 'onClose', hook: (instance: unknown, done: () => void) => void): unknown;
}

type Register = (name: string, fn: ShutdownHook) => () => void;

let subscribed: ((message: unknown) => void) | undefined;

/** Registers a cleanup hook for every Fastify instance created from now on; idempotent. */
export function watchFrameworks(register: Register): void {
  if (subscribed !== undefined) return;
  let count = 0;
  subscribed = (message: unknown): void => {
    const fastify = (message as { fastify?: FastifyLike }).fastify;
    if (fastify === undefined || typeof fastify.close !== 'function') return;
    count++;
    const unregister = register(count === 1 ? 'fastify' : `fastify #${count}`, () => fastify.close());
    try {
      // Closed by the app itself (its own SIGTERM code, a test): nothing left to run at shutdown.
      fastify.addHook('onClose', (_instance, done) => {
        unregister();
        done();
      });
    } catch {
      // Already started: keep the hook; a second close() of a closed instance resolves at once.
    }
  };
  dc.subscribe(FASTIFY_CHANNEL, subscribed);
}

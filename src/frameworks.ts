/**
 * Framework shutdown hooks with no code change. Fastify publishes every root instance on the
 * diagnostics channel `fastify.initialization` (fastify.js); its `onClose` hooks, where plugins
 * close their pools, run only through `fastify.close()`. Each instance gets a cleanup hook that
 * calls it, after the drain like every hook. Instances are created before the app listens, that
 * is before the preload activates: the preload starts collecting them (weakly) at once.
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

/** Instances seen before the engine was active; weak, so a process that never serves keeps none alive. */
const early: WeakRef<FastifyLike>[] = [];
let register: Register | undefined;
let subscribed = false;
let count = 0;

function onInstance(message: unknown): void {
  const fastify = (message as { fastify?: FastifyLike }).fastify;
  if (fastify === undefined || typeof fastify.close !== 'function') return;
  if (register === undefined) early.push(new WeakRef(fastify));
  else hook(register, fastify);
}

function hook(add: Register, fastify: FastifyLike): void {
  count++;
  // A second close() of an instance the app closed itself resolves at once, running nothing again.
  const unregister = add(count === 1 ? 'fastify' : `fastify #${count}`, () => fastify.close());
  try {
    // Closed by the app itself (its own shutdown code, a test): nothing left to run at shutdown.
    fastify.addHook('onClose', (_instance, done) => {
      unregister();
      done();
    });
  } catch {
    // Already listening (collected before activation): the hook stays.
  }
}

/** Starts collecting Fastify instances (from the preload, before activation); idempotent. */
export function collectFrameworks(): void {
  if (subscribed) return;
  subscribed = true;
  dc.subscribe(FASTIFY_CHANNEL, onInstance);
}

/** Registers a cleanup hook for every Fastify instance collected so far and every later one; idempotent. */
export function watchFrameworks(add: Register): void {
  if (register !== undefined) return;
  register = add;
  collectFrameworks();
  for (const ref of early.splice(0)) {
    const fastify = ref.deref();
    if (fastify !== undefined) hook(add, fastify);
  }
}

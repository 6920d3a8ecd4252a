// A Deployment of instances in a fixed pool of slots (one app port and one health port each),
// rolled the way the Deployment controller and the kubelet roll pods with maxSurge 1 and
// maxUnavailable 0: start a new instance in a free slot, wait until the proxy routes to it,
// SIGTERM an old one (SIGKILL once it outlives the grace period), next. The kube-state-metrics
// stand-in follows along, so the pack's rollout rules see a Deployment rolling out.
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { until } from './net.mjs';
import { preStopFor } from './prestop.mjs';
import { writeTargets } from './prometheus.mjs';
import { SHUTDOWN } from './timings.mjs';

const START_TIMEOUT_MS = 20_000;
const PROXY_UP_TIMEOUT_MS = 15_000;

/** The exit code Kubernetes reports: the code, or 128 + the signal's number. */
export function exitCode({ code, signal }) {
  return code ?? 128 + (constants.signals[signal] ?? 0);
}

export class Deployment {
  /**
   * @param {object} o
   * @param {import('./procs.mjs').Supervisor} o.supervisor
   * @param {{ id: string, service: string, nodeArgs: string[], env: Record<string, string>, metrics: boolean }} o.mode
   * @param {{ app: number, health: number }[]} o.slots
   * @param {import('./caddy.mjs').ProxyHealth} o.proxy
   * @param {import('./ksm.mjs').KubeStateMetrics} o.ksm
   * @param {string} o.targets file_sd file for this service
   */
  constructor({ supervisor, mode, slots, proxy, ksm, targets, replicas, script, cwd }) {
    Object.assign(this, { supervisor, mode, proxy, ksm, targets, replicas, script, cwd });
    this.slots = slots.map((s) => ({ ...s, instance: undefined, freedAt: 0 }));
    /** Every instance ever started, in order. */
    this.instances = [];
    this.revision = 0;
    this.rollout = undefined;
  }

  /** Starts the first revision and waits until the proxy routes to every instance. */
  async create() {
    this.revision = 1;
    this.#status({ rolling: false });
    await Promise.all(Array.from({ length: this.replicas }, () => this.#start()));
    this.#status({ rolling: false });
  }

  /** One rolling restart; resolves when every old instance has exited. */
  async rollingRestart() {
    const old = this.#live();
    this.revision += 1;
    this.rollout = { startedAt: performance.now(), endedAt: undefined };
    this.#status({ rolling: true });
    for (const instance of old) {
      await this.#start();
      this.#terminate(instance);
      this.#status({ rolling: true });
    }
    // The controller calls the rollout complete once the old ReplicaSet is scaled to zero; the
    // old pods are still draining then (the pack's rolloutTail covers that).
    this.rollout.endedAt = performance.now();
    this.#status({ rolling: false });
    await Promise.all(old.map((i) => i.child.exited));
    this.rollout.lastExitAt = Math.max(...old.map((i) => i.exitAt));
    return old;
  }

  /** After the measurement: SIGKILL what still runs (not part of the results). */
  async teardown() {
    const live = this.instances.filter((i) => i.exit === undefined);
    for (const i of live) {
      i.teardown = true;
      i.child.kill('SIGKILL');
    }
    await Promise.all(live.map((i) => i.child.exited));
  }

  /** Every instance's life, times in ms since `originMs` (performance.now() clock). */
  describe(originMs) {
    const rel = (t) => (t === undefined ? undefined : Math.round(t - originMs));
    return this.instances.map((i) => ({
      name: i.name,
      revision: i.revision,
      pid: i.pid,
      port: i.appPort,
      spawnedAt: rel(i.spawnedAt),
      readyAt: rel(i.readyAt),
      deletedAt: rel(i.deletedAt),
      preStopEndedAt: rel(i.preStopEndedAt),
      preStopExit: i.preStopExit,
      sigtermAt: rel(i.sigtermAt),
      exitAt: rel(i.exitAt),
      exit: i.exit,
      sigkilled: Boolean(i.sigkilled),
      teardown: Boolean(i.teardown),
      // graceful-otel's own account of its shutdown (its last log line).
      summary: i.summary && { exit_code: i.summary.exit_code, trigger: i.summary.trigger, phases_ms: i.summary.phases_ms, forced: i.summary.forced, drain: i.summary.drain },
    }));
  }

  #live() {
    return this.instances.filter((i) => i.exit === undefined && i.deletedAt === undefined);
  }

  #status({ rolling }) {
    const running = this.#live();
    this.ksm.set(this.mode.service, {
      spec: this.replicas,
      replicas: running.length,
      updated: running.filter((i) => i.revision === this.revision).length,
      rolling,
    });
  }

  /** Claims a slot with no process that the proxy has seen down since its last process exited. */
  #claimSlot(instance) {
    const claim = () => {
      const slot = this.slots.find((s) => s.instance === undefined && this.proxy.isDown(s.app, s.freedAt));
      // Claimed in the same synchronous step that found it: concurrent starts never share a slot.
      if (slot) slot.instance = instance;
      return slot;
    };
    return until(claim, { timeoutMs: PROXY_UP_TIMEOUT_MS, intervalMs: 50, what: `a free slot for ${this.mode.service}` });
  }

  async #start() {
    const instance = { name: `${this.mode.service}-${this.revision}-${this.instances.length + 1}`, revision: this.revision };
    this.instances.push(instance);
    const slot = await this.#claimSlot(instance);
    Object.assign(instance, { appPort: slot.app, healthPort: slot.health, spawnedAt: performance.now() });
    const env = { HOST: '127.0.0.1', PORT: String(slot.app), LAB_MODE: this.mode.id, ...this.mode.env };
    if (this.mode.metrics) Object.assign(env, { GRACEFUL_OTEL_HEALTH_PORT: String(slot.health), GRACEFUL_OTEL_HEALTH_HOST: '127.0.0.1' });
    instance.env = env;
    const child = this.supervisor.spawn(instance.name, process.execPath, [...this.mode.nodeArgs, this.script], { env, cwd: this.cwd });
    instance.child = child;
    instance.pid = child.pid;
    child.onLine((line) => {
      if (line.includes('"event":"shutdown.summary"')) instance.summary = JSON.parse(line);
    });
    child.exited.then((exit) => {
      instance.exitAt = exit.at;
      instance.exit = exitCode(exit);
      slot.instance = undefined;
      slot.freedAt = exit.at;
      this.#publishTargets();
    });
    await child.waitForLine((l) => l.includes('"msg":"listening"'), START_TIMEOUT_MS, 'listening line');
    this.#publishTargets();
    instance.readyAt = await this.proxy.waitUp(slot.app, instance.spawnedAt, PROXY_UP_TIMEOUT_MS);
    return instance;
  }

  /**
   * What the kubelet does to a pod being deleted: the grace period starts; the preStop hook (if
   * the mode has one) runs with the container's environment and is waited for; then SIGTERM;
   * SIGKILL at the end of the grace period.
   */
  #terminate(instance) {
    instance.deletedAt = performance.now();
    const kill = setTimeout(() => {
      instance.sigkilled = true;
      instance.child.kill('SIGKILL');
    }, SHUTDOWN.gracePeriod * 1000);
    instance.child.exited.then(() => clearTimeout(kill));
    const sigterm = () => {
      if (instance.exit !== undefined) return;
      instance.sigtermAt = performance.now();
      instance.child.kill('SIGTERM');
    };
    if (this.mode.preStop === undefined) return sigterm();
    const [command, ...args] = preStopFor(this.mode.preStop, instance.healthPort);
    const hook = this.supervisor.spawn(`${instance.name}-prestop`, command === 'node' ? process.execPath : command, args, { env: instance.env, cwd: this.cwd });
    instance.preStop = hook;
    hook.exited.then((exit) => {
      instance.preStopExit = exitCode(exit);
      instance.preStopEndedAt = exit.at;
      sigterm();
    });
  }

  #publishTargets() {
    if (!this.mode.metrics) return;
    writeTargets(this.targets, this.instances.filter((i) => i.exit === undefined && i.child !== undefined));
  }
}

// The lab's timings, in one place. examples/kubernetes/ uses the same shutdown budget (a test checks
// that they agree) and docs/rollout-lab.md explains the arithmetic.

/** graceful-otel's budget, in seconds: delay + drain + hooks + flush + margin = grace period. */
export const SHUTDOWN = {
  gracePeriod: 20,
  // Must outlast the proxy noticing readiness (one health interval plus the check itself) with room
  // to spare; on Kubernetes it covers endpoint propagation, for which 5 s is the usual floor.
  drainDelay: 5,
  hooks: 2,
  flush: 2,
  safetyMargin: 1,
};

/** What is left for the drain once the fixed parts are taken out of the grace period. */
export const DRAIN_TIMEOUT = SHUTDOWN.gracePeriod - SHUTDOWN.drainDelay - SHUTDOWN.hooks - SHUTDOWN.flush - SHUTDOWN.safetyMargin;

/** graceful-otel's environment for the lab's instances (and the manifests' container env). */
export const GRACEFUL_ENV = {
  GRACEFUL_OTEL_GRACE_PERIOD: `${SHUTDOWN.gracePeriod}s`,
  GRACEFUL_OTEL_DRAIN_DELAY: `${SHUTDOWN.drainDelay}s`,
  GRACEFUL_OTEL_HOOKS_TIMEOUT: `${SHUTDOWN.hooks}s`,
  GRACEFUL_OTEL_FLUSH_TIMEOUT: `${SHUTDOWN.flush}s`,
  GRACEFUL_OTEL_SAFETY_MARGIN: `${SHUTDOWN.safetyMargin}s`,
  // Wait (inside the flush budget) for one more scrape so Prometheus sees the final exit code.
  GRACEFUL_OTEL_METRICS_LINGER: '1500ms',
};

/** The proxy's active health checks: they stand in for the kubelet's readiness probe plus
 * endpoint propagation, so an instance leaves rotation up to one interval after it turns unready. */
export const PROXY = { healthInterval: '1s', healthTimeout: '500ms' };

/** Prometheus: matches the pack's lab profile (1 s evaluations). */
export const PROMETHEUS = { scrapeInterval: '1s', evaluationInterval: '1s' };

/** `idleS`: scrapes of idle proxies (0 requests, 0/0) before the load starts, which once poisoned
 * the pack's baseline with NaN. How long each mode's load runs (the same for every mode, so their counts compare), when the
 * rollout starts, and how long the load goes on at least after the last old instance exited (so
 * the alert rules see the whole error window). `short` is the CI test's; shutdown timings never
 * change between them. */
export const RUNS = {
  full: { rate: 100, requestMs: 100, loadS: 45, warmupS: 10, minTailS: 15, idleS: 5 },
  short: { rate: 100, requestMs: 100, loadS: 16, warmupS: 2, minTailS: 4, idleS: 3 },
};

/** A Deployment of three replicas rolled with maxSurge 1, maxUnavailable 0. */
export const REPLICAS = 3;

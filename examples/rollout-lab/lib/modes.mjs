// The three ways the same service meets SIGTERM. Only the shutdown behaviour differs; the load,
// proxy, slots and rollout are identical.
import { manifestPreStop } from './prestop.mjs';
import { GRACEFUL_ENV } from './timings.mjs';

export const MODES = [
  {
    id: 'none',
    service: 'lab-none',
    title: 'No shutdown handling (Node defaults)',
    nodeArgs: [],
    env: {},
    metrics: false,
  },
  {
    id: 'naive',
    service: 'lab-naive',
    title: 'Naive handler: server.close(), then exit',
    nodeArgs: [],
    env: {},
    metrics: false,
  },
  {
    id: 'graceful-otel',
    service: 'lab-graceful-otel',
    title: 'graceful-otel preload',
    nodeArgs: [],
    // What a container image sets; resolved from the repo root (the package's self-reference).
    // Every Node process of the "pod" carries it, the preStop hook's included. The lab runs no
    // OpenTelemetry collector: without OTEL_TRACES_EXPORTER=none the span flush would wait for
    // the default OTLP endpoint until the flush deadline.
    env: { NODE_OPTIONS: '--import graceful-otel/register', ...GRACEFUL_ENV, OTEL_TRACES_EXPORTER: 'none' },
    metrics: true,
    // The kubelet runs the Deployment's preStop hook before SIGTERM (examples/kubernetes/).
    preStop: manifestPreStop(),
  },
];

export const DEPLOY_ALERT = 'GracefulOtelDeployGatewayErrors';

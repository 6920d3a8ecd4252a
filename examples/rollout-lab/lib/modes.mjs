// The three ways the same service meets SIGTERM. Only the shutdown behaviour differs; the load,
// proxy, slots and rollout are identical.
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
    // What a user writes; resolved from the repo root (the package's self-reference).
    nodeArgs: ['--import', 'graceful-otel/register'],
    // The lab runs no OpenTelemetry collector: without this the span flush would wait for the
    // default OTLP endpoint until the flush deadline.
    env: { ...GRACEFUL_ENV, OTEL_TRACES_EXPORTER: 'none' },
    metrics: true,
  },
];

export const DEPLOY_ALERT = 'GracefulOtelDeployGatewayErrors';

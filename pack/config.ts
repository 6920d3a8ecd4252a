// The one config of the Grafana pack: every dashboard, recording rule, alert and test reads it.
// Profiles only change timings (the lab runs rollouts that last seconds); labels, selectors,
// thresholds and the gateway code set are shared.

/** One label_replace step: copy `from` (optionally through `regex`) into the target label.
 * Steps run in order; a step whose regex does not match leaves the label as it was, so later
 * steps act as "prefer this one when present". `{ value }` sets a constant ('' removes it). */
export type LabelStep = { from: string; regex?: string; replacement?: string } | { value: string };

export interface CounterSource {
  kind: 'counter';
  /** Short id, becomes the `source` label of the normalised series. */
  id: string;
  title: string;
  metric: string;
  /** Extra matchers inside the braces, e.g. `reporter="source"`. */
  matchers: string;
  /** Label holding the HTTP status code (or class, for HAProxy). */
  codeLabel: string;
  namespace: LabelStep[];
  service: LabelStep[];
  /** Counters without a code label, recorded under a fixed code (Caddy 2.6 proxy errors). */
  extra?: { metric: string; matchers: string; code: string }[];
}

export interface PeriodGaugeSource {
  kind: 'periodGauge';
  id: string;
  title: string;
  /** Per-period sums (CloudWatch via YACE): one gauge per status code, never a counter. */
  codeMetrics: Record<string, string>;
  /** All requests in the period; the remainder is recorded as code="other". */
  totalMetric: string;
  matchers: string;
  /** The CloudWatch period the exporter asks for, in seconds (YACE `period`). */
  periodSeconds: number;
  /** How far back to look for the latest per-period value (exporters scrape slowly). */
  lookback: string;
  namespace: LabelStep[];
  service: LabelStep[];
}

export type LbSource = CounterSource | PeriodGaugeSource;

export interface Timings {
  /** Rule group evaluation interval. */
  evaluationInterval: string;
  /** Window of the normalised load-balancer rates (and of the record names). */
  rateWindow: string;
  /** Window over which shutdown counters/histograms are turned into per-event increases. */
  eventWindow: string;
  /**
   * How long a rollout marker stays up after the rollout itself ended: old pods still drain. Keep
   * it at least the grace period plus the rate window, or errors from a pod killed at the end of
   * its grace period fall outside the rollout window.
   */
  rolloutTail: string;
  /** Window of the pre-rollout error-ratio baseline (rollout periods excluded). */
  baselineWindow: string;
  /** Resolution of the baseline subquery. */
  baselineStep: string;
  /** `for:` of the deploy-time gateway error alert. */
  deployAlertFor: string;
  /** `for:` of the shutdown alerts (events are short-lived, so usually 0). */
  shutdownAlertFor: string;
}

export interface PackConfig {
  profile: string;
  /** Prefix of every alert name (mixin convention). */
  alertPrefix: string;
  runbookBaseUrl: string;
  /** Label names carried by graceful-otel's own series. `service` defaults to `job`: a
   * ServiceMonitor sets job = Service name and the Pushgateway groups by job = service name,
   * so it is the one label both delivery paths agree on. */
  labels: { namespace: string; service: string; instance: string };
  /** Extra matchers for every graceful-otel series (e.g. `cluster="prod"`). */
  otelMatchers: string;
  /** Status codes that count as gateway errors. Envoy-based proxies answer 503. HAProxy only
   * knows classes: add "5xx" to count its 5xx class (which includes application 500s). */
  gatewayCodes: string[];
  /** Codes offered by the dashboard's code-set variable. */
  gatewayCodeChoices: string[];
  thresholds: {
    /** Deploy alert: gateway error ratio during a rollout must exceed this... */
    errorRatio: number;
    /** ...and exceed baseline * factor + margin, so always-failing services do not page at deploys. */
    baselineFactor: number;
    baselineMargin: number;
    /** Ignore services with less traffic than this (requests/s) to avoid 1-of-2 ratios. */
    minRequestRate: number;
    /** Drain time alert: fraction of the configured grace period. */
    drainOfGrace: number;
  };
  rollout: {
    /** Progressing-condition reasons that mean "a new ReplicaSet is rolling out". */
    reasons: string[];
    /** Maps a Deployment name to the Service name the load balancer reports. */
    serviceFromDeployment: { regex: string; replacement: string };
  };
  sources: LbSource[];
  timings: Timings;
  dashboards: { uidPrefix: string; tags: string[]; refresh: string; timeFrom: string };
}

/** graceful-otel's shutdown phases, in order (contract with the telemetry issue). */
export const PHASES = ['serving', 'delay', 'drain', 'hooks', 'flush'] as const;

// Kubernetes object names cannot contain '_' or '.', '/': that makes these splits unambiguous.
const K8S_NAME = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';

// Any scrape or relabel config may attach these to force the mapping (e.g. a non-Kubernetes Caddy).
const overrideNamespace: LabelStep = { from: 'graceful_namespace' };
const overrideService: LabelStep = { from: 'graceful_service' };

const sources: LbSource[] = [
  {
    kind: 'counter',
    id: 'ingress-nginx',
    title: 'ingress-nginx',
    metric: 'nginx_ingress_controller_requests',
    matchers: '',
    codeLabel: 'status',
    // With honor_labels off the controller's own namespace/service labels clash with the target
    // labels and arrive as exported_*; prefer those when present.
    namespace: [{ from: 'exported_namespace' }, overrideNamespace],
    service: [{ from: 'exported_service' }, overrideService],
  },
  {
    kind: 'counter',
    id: 'istio',
    title: 'Istio',
    metric: 'istio_requests_total',
    // The client-side proxy (gateway or sidecar) is the one that sees a vanished pod.
    matchers: 'reporter="source"',
    codeLabel: 'response_code',
    namespace: [{ from: 'destination_service_namespace' }, overrideNamespace],
    service: [{ from: 'destination_service_name' }, overrideService],
  },
  {
    kind: 'counter',
    id: 'envoy',
    title: 'Envoy (Contour, Envoy Gateway)',
    metric: 'envoy_cluster_upstream_rq',
    matchers: '',
    codeLabel: 'envoy_response_code',
    namespace: [
      { value: '' },
      // Contour: namespace/service/port/hash
      { from: 'envoy_cluster_name', regex: `(${K8S_NAME})/${K8S_NAME}/[^/]+/[^/]+`, replacement: '$1' },
      // Envoy Gateway: httproute/namespace/route/rule/N
      { from: 'envoy_cluster_name', regex: `httproute/(${K8S_NAME})/.+`, replacement: '$1' },
      overrideNamespace,
    ],
    service: [
      { from: 'envoy_cluster_name' },
      { from: 'envoy_cluster_name', regex: `${K8S_NAME}/(${K8S_NAME})/[^/]+/[^/]+`, replacement: '$1' },
      { from: 'envoy_cluster_name', regex: `httproute/${K8S_NAME}/(${K8S_NAME})/.+`, replacement: '$1' },
      overrideService,
    ],
  },
  {
    kind: 'counter',
    id: 'traefik',
    title: 'Traefik',
    metric: 'traefik_service_requests_total',
    matchers: '',
    codeLabel: 'code',
    // Traefik joins namespace, service and port with '-', which cannot be split reliably:
    // keep Traefik's service name without the @provider suffix and leave namespace empty.
    namespace: [{ value: '' }, overrideNamespace],
    service: [{ from: 'service', regex: '(.+)@.*', replacement: '$1' }, overrideService],
  },
  {
    kind: 'counter',
    id: 'linkerd',
    title: 'Linkerd',
    metric: 'response_total',
    // Outbound: the caller's proxy still reports when the destination pod is gone.
    matchers: 'direction="outbound", dst_service!=""',
    codeLabel: 'status_code',
    namespace: [{ from: 'dst_namespace' }, overrideNamespace],
    service: [{ from: 'dst_service' }, overrideService],
  },
  {
    kind: 'counter',
    id: 'kong',
    title: 'Kong 3 (status_code_metrics on)',
    metric: 'kong_http_requests_total',
    matchers: '',
    codeLabel: 'code',
    // Kong Ingress Controller names services namespace.service.port.
    namespace: [
      { value: '' },
      { from: 'service', regex: `(${K8S_NAME})\\.${K8S_NAME}\\..+`, replacement: '$1' },
      overrideNamespace,
    ],
    service: [
      { from: 'service', regex: `${K8S_NAME}\\.(${K8S_NAME})\\..+`, replacement: '$1' },
      overrideService,
    ],
  },
  {
    kind: 'counter',
    id: 'caddy',
    title: 'Caddy 2',
    metric: 'caddy_http_request_duration_seconds_count',
    // Every handler in the chain records the request; count the proxy only.
    matchers: 'handler="reverse_proxy"',
    codeLabel: 'code',
    // Caddy knows no Kubernetes: its `server` name (srv0, ...) stands in for the service, the
    // scrape's namespace label is kept, and graceful_namespace/graceful_service override both.
    namespace: [overrideNamespace],
    service: [{ from: 'server' }, overrideService],
    // Caddy 2.6 does not observe a request in the duration histogram when the proxy handler
    // returns an error (upstream refused/reset): those 502s only show in request_errors_total.
    // Newer Caddy releases observe them with their status code too: drop this entry there.
    extra: [{ metric: 'caddy_http_request_errors_total', matchers: 'handler="reverse_proxy"', code: '502' }],
  },
  {
    kind: 'counter',
    id: 'haproxy',
    title: 'HAProxy (code class only)',
    metric: 'haproxy_backend_http_responses_total',
    matchers: '',
    // Only classes (1xx..5xx, other): a 502 cannot be told from a 500 here.
    codeLabel: 'code',
    // Native exporter labels the backend `proxy`, haproxy_exporter `backend`; the HAProxy
    // Kubernetes ingress names backends namespace_service_port.
    namespace: [
      { value: '' },
      { from: 'proxy', regex: `(${K8S_NAME})_${K8S_NAME}_.+`, replacement: '$1' },
      overrideNamespace,
    ],
    service: [
      { from: 'backend' },
      { from: 'proxy' },
      { from: 'proxy', regex: `${K8S_NAME}_(${K8S_NAME})_.+`, replacement: '$1' },
      overrideService,
    ],
  },
  {
    kind: 'periodGauge',
    id: 'aws-alb',
    title: 'AWS ALB (YACE)',
    codeMetrics: {
      '502': 'aws_applicationelb_httpcode_elb_502_count_sum',
      '503': 'aws_applicationelb_httpcode_elb_503_count_sum',
      '504': 'aws_applicationelb_httpcode_elb_504_count_sum',
    },
    totalMetric: 'aws_applicationelb_request_count_sum',
    matchers: '',
    periodSeconds: 60,
    lookback: '5m',
    namespace: [{ value: '' }, overrideNamespace],
    service: [{ from: 'dimension_LoadBalancer' }, overrideService],
  },
];

const defaultTimings: Timings = {
  evaluationInterval: '30s',
  rateWindow: '1m',
  eventWindow: '5m',
  rolloutTail: '5m',
  baselineWindow: '1h',
  baselineStep: '1m',
  deployAlertFor: '2m',
  shutdownAlertFor: '0m',
};

// The rollout lab: 1 s scrapes and evaluations, rollouts of a few seconds.
const labTimings: Timings = {
  evaluationInterval: '1s',
  rateWindow: '10s',
  eventWindow: '30s',
  rolloutTail: '30s', // ≥ the lab's 20 s grace period + 10 s rate window
  baselineWindow: '2m',
  baselineStep: '2s',
  deployAlertFor: '3s',
  shutdownAlertFor: '0s',
};

export const PROFILES: Record<string, Timings> = { default: defaultTimings, lab: labTimings };

export function loadConfig(profile = 'default'): PackConfig {
  const timings = PROFILES[profile];
  if (!timings) throw new Error(`unknown profile "${profile}" (known: ${Object.keys(PROFILES).join(', ')})`);
  return {
    profile,
    alertPrefix: 'GracefulOtel',
    runbookBaseUrl: 'https://github.com/graceful-otel/graceful-otel/blob/main/docs/runbooks',
    labels: { namespace: 'namespace', service: 'job', instance: 'pod' },
    otelMatchers: '',
    gatewayCodes: ['502'],
    gatewayCodeChoices: ['502', '503', '504', '5xx'],
    thresholds: {
      errorRatio: 0.01,
      baselineFactor: 2,
      baselineMargin: 0.005,
      minRequestRate: profile === 'lab' ? 0 : 0.1,
      drainOfGrace: 0.8,
    },
    rollout: {
      reasons: ['ReplicaSetUpdated', 'NewReplicaSetCreated'],
      serviceFromDeployment: { regex: '(.*)', replacement: '$1' },
    },
    sources,
    timings: { ...timings },
    dashboards: { uidPrefix: 'graceful-otel', tags: ['graceful-otel'], refresh: '30s', timeFrom: 'now-3h' },
  };
}

// Types of the Grafana pack's resolved config (what the generators read) and of the load-balancer
// source catalog.

/** One label_replace step: copy `from` (optionally through `regex`) into the target label.
 * Steps run in order; a step whose regex does not match leaves the label as it was, so later
 * steps act as "prefer this one when present". `{ value }` sets a constant ('' removes it). */
export type LabelStep = { from: string; regex?: string; replacement?: string } | { value: string };

/** Labels of one example series as the exporter really writes it (for the promtool tests). */
export interface ExampleSeries {
  metric: string;
  labels: Record<string, string>;
}

interface SourceBase {
  /** Short id, becomes the `source` label of the normalised series. */
  id: string;
  title: string;
  /** Extra matchers inside the braces, e.g. `reporter="source"`. */
  matchers: string;
  namespace: LabelStep[];
  service: LabelStep[];
  /** Series this exporter writes for one request outcome of `namespace/service` with `code`
   * (a class such as 5xx for class-only sources); `total` requests so far. */
  example(namespace: string, service: string, code: string): ExampleSeries[];
}

export interface CounterSource extends SourceBase {
  kind: 'counter';
  metric: string;
  /** Label holding the HTTP status code (or class). */
  codeLabel: string;
  /** The exporter reports status classes (5xx) only. */
  classOnly?: boolean;
  /** Counters without a code label, recorded under a fixed code (Caddy 2.6 proxy errors). */
  extra?: { metric: string; matchers: string; code: string }[];
  /** The exporter joins namespace and service with '-' (Traefik): split it by looking the key up
   * in kube-state-metrics' kube_service_info, whose names are known. `regex` extracts the
   * `<namespace>-<service>` key from `from`. */
  joinedKey?: { from: string; regex: string };
}

export interface PeriodGaugeSource extends SourceBase {
  kind: 'periodGauge';
  /** Per-period sums (CloudWatch via YACE): one gauge per status code, never a counter. */
  codeMetrics: Record<string, string>;
  /** All requests in the period; the remainder is recorded as code="other". */
  totalMetric: string;
  /** The CloudWatch period the exporter asks for, in seconds (YACE `period`). */
  periodSeconds: number;
}

export type LbSource = CounterSource | PeriodGaugeSource;

export interface Timings {
  /** How often Prometheus scrapes the load balancers and graceful-otel. */
  scrapeInterval: string;
  /** Rule group evaluation interval. */
  evaluationInterval: string;
  /** Window of the normalised load-balancer rates: 4 × the scrape interval, so every window holds
   * enough samples for rate(). */
  rateWindow: string;
  /** Window of the gateway error ratio the deploy alert reads: long enough to bridge the pauses
   * between the bursts of a rolling restart. */
  ratioWindow: string;
  /** Window over which shutdown counters/histograms are turned into per-event increases. */
  eventWindow: string;
  /** How long a rollout window stays open after the rollout itself ended: old pods still drain. */
  rolloutTail: string;
  /** Window of the steady-state (outside rollouts) error-ratio baseline. */
  baselineWindow: string;
  /** `for:` of the deploy-time gateway error alert. */
  deployAlertFor: string;
  /** `for:` of the shutdown alerts (events are short-lived, so usually 0). */
  shutdownAlertFor: string;
}

export interface Thresholds {
  /** Deploy alert: gateway error ratio during a rollout must exceed this... */
  errorRatio: number;
  /** ...and exceed baseline * factor + margin, so always-failing services do not page at deploys. */
  baselineFactor: number;
  baselineMargin: number;
  /** Ignore services with less traffic than this (requests/s, over the ratio window). */
  minRequestRate: number;
  /** Drain time alert: fraction of the configured grace period. */
  drainOfGrace: number;
}

export interface PackConfig {
  /** Prefix of every alert name (mixin convention). */
  alertPrefix: string;
  runbookBaseUrl: string;
  /** Label names carried by graceful-otel's own series. */
  labels: { namespace: string; service: string; instance: string };
  /** Label that tells clusters apart ('' for one cluster): kept in every aggregation. */
  clusterLabel: string;
  /** Extra matchers for every graceful-otel series (e.g. `job=~"shop-.*"`). */
  otelMatchers: string;
  /** Extra matchers for every kube-state-metrics series (e.g. `job="kube-state-metrics"`). */
  ksmMatchers: string;
  /** Status codes (or classes such as 5xx) that count as gateway errors. */
  gatewayCodes: string[];
  /** Also count the class of each gateway code (502 -> 5xx) for sources that report classes only. */
  countClasses: boolean;
  /** Codes offered by the dashboard's code-set variable. */
  gatewayCodeChoices: string[];
  thresholds: Thresholds;
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

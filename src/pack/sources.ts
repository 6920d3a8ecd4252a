// The load-balancer sources the pack knows, each mapped onto namespace, service and code from its
// exporter's default labels. `example` writes the series exactly as the exporter does (checked
// against each exporter's source); the promtool tests are built from it.
import type { LabelStep, LbSource } from './types.js';

// Kubernetes object names cannot contain '_' or '.' (Services and namespaces: DNS labels), which
// makes the splits below unambiguous. '-' is allowed, which is why Traefik needs a lookup.
const K8S_NAME = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';

// Any scrape or relabel config may attach these to force the mapping (e.g. a non-Kubernetes proxy).
export const OVERRIDE = { namespace: 'graceful_namespace', service: 'graceful_service' } as const;
const overrideNamespace: LabelStep = { from: OVERRIDE.namespace };
const overrideService: LabelStep = { from: OVERRIDE.service };

/** `<ns><sep><name><sep>rest`: namespace and service steps for one separator. */
function split(from: string, sep: string, prefix = ''): { namespace: LabelStep; service: LabelStep } {
  const s = sep.replace(/[.]/g, '\\.');
  const regex = (group: 1 | 2) => `${prefix}${group === 1 ? `(${K8S_NAME})` : K8S_NAME}${s}${group === 2 ? `(${K8S_NAME})` : K8S_NAME}${s}.+`;
  return { namespace: { from, regex: regex(1), replacement: '$1' }, service: { from, regex: regex(2), replacement: '$1' } };
}

const contour = split('envoy_cluster_name', '_');
const contourXds = split('envoy_cluster_name', '/');
const envoyGateway = split('envoy_cluster_name', '/', 'httproute/');
const kongIngress = split('service', '.');
const kongGateway = split('service', '.', 'httproute\\.');
const haproxyIngress = split('proxy', '_');

export const SOURCES: LbSource[] = [
  {
    kind: 'counter',
    id: 'ingress-nginx',
    title: 'ingress-nginx',
    metric: 'nginx_ingress_controller_requests',
    matchers: '',
    codeLabel: 'status',
    // Scraped without honor_labels (the ServiceMonitor default), the controller's own namespace
    // and service labels clash with the target labels and arrive as exported_*.
    namespace: [{ from: 'exported_namespace' }, overrideNamespace],
    service: [{ from: 'exported_service' }, overrideService],
    example: (ns, svc, code) => [
      {
        metric: 'nginx_ingress_controller_requests',
        labels: {
          namespace: 'ingress-nginx', service: 'ingress-nginx-controller-metrics', pod: 'ingress-nginx-controller-5c8d66c76d-4xk2p', job: 'ingress-nginx-controller-metrics',
          controller_class: 'k8s.io/ingress-nginx', controller_namespace: 'ingress-nginx', controller_pod: 'ingress-nginx-controller-5c8d66c76d-4xk2p',
          exported_namespace: ns, exported_service: svc, ingress: svc, host: `${svc}.example.com`, path: '/', method: 'GET', canary: '', status: code,
        },
      },
    ],
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
    example: (ns, svc, code) => [
      {
        metric: 'istio_requests_total',
        labels: {
          reporter: 'source', source_workload: 'istio-ingressgateway', source_workload_namespace: 'istio-system', source_canonical_service: 'istio-ingressgateway',
          destination_service: `${svc}.${ns}.svc.cluster.local`, destination_service_name: svc, destination_service_namespace: ns, destination_workload: svc, destination_workload_namespace: ns,
          request_protocol: 'http', response_code: code, response_flags: code === '503' ? 'UC' : '-', connection_security_policy: 'unknown', grpc_response_status: '',
        },
      },
    ],
  },
  {
    kind: 'counter',
    id: 'envoy',
    title: 'Envoy (Contour, Envoy Gateway)',
    metric: 'envoy_cluster_upstream_rq',
    matchers: '',
    codeLabel: 'envoy_response_code',
    // Contour's stats name (alt_stat_name) is namespace_service_port; its xDS cluster name
    // namespace/service/port/hash; Envoy Gateway's httproute/namespace/route/rule/N (route name).
    namespace: [{ value: '' }, contourXds.namespace, contour.namespace, envoyGateway.namespace, overrideNamespace],
    service: [{ from: 'envoy_cluster_name' }, contourXds.service, contour.service, envoyGateway.service, overrideService],
    example: (ns, svc, code) => [{ metric: 'envoy_cluster_upstream_rq', labels: { envoy_cluster_name: `${ns}_${svc}_8080`, envoy_response_code: code } }],
  },
  {
    kind: 'counter',
    id: 'traefik',
    title: 'Traefik',
    metric: 'traefik_service_requests_total',
    matchers: '',
    codeLabel: 'code',
    // `<namespace>-<service>-<port>@<provider>`: '-' also occurs inside names, so the
    // `<namespace>-<service>` key is looked up in kube_service_info (kube-state-metrics).
    joinedKey: { from: 'service', regex: '(.+)-[^-@]+@.*' },
    namespace: [overrideNamespace],
    service: [overrideService],
    example: (ns, svc, code) => [{ metric: 'traefik_service_requests_total', labels: { service: `${ns}-${svc}-80@kubernetes`, code, method: 'GET', protocol: 'http' } }],
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
    example: (ns, svc, code) => [
      {
        metric: 'response_total',
        labels: { direction: 'outbound', authority: `${svc}.${ns}.svc.cluster.local:8080`, dst_namespace: ns, dst_service: svc, dst_deployment: svc, namespace: 'ingress', deployment: 'gateway', pod: 'gateway-6c9d4-x2k8f', tls: 'true', status_code: code, classification: code.startsWith('5') ? 'failure' : 'success' },
      },
    ],
  },
  {
    kind: 'counter',
    id: 'kong',
    title: 'Kong 3 (status_code_metrics on)',
    metric: 'kong_http_requests_total',
    matchers: '',
    codeLabel: 'code',
    // Kong Ingress Controller: Ingress backends are namespace.service.port; Gateway API routes
    // httproute.namespace.route.rule (the route name stands for the service).
    namespace: [{ value: '' }, kongIngress.namespace, kongGateway.namespace, overrideNamespace],
    // The gateway pattern first: the ingress pattern would also match httproute.<ns>.… and rewrite `service`.
    service: [kongGateway.service, kongIngress.service, overrideService],
    example: (ns, svc, code) => [{ metric: 'kong_http_requests_total', labels: { service: `${ns}.${svc}.80`, route: `${ns}.${svc}.${svc}.example.com.80`, code, source: 'service', workspace: 'default', consumer: '' } }],
  },
  {
    kind: 'counter',
    id: 'caddy',
    title: 'Caddy 2',
    metric: 'caddy_http_request_duration_seconds_count',
    // Caddy instruments top-level handlers only: a proxy at the top is `reverse_proxy`; a site
    // named by host wraps its routes in a `subroute`.
    matchers: 'handler=~"reverse_proxy|subroute"',
    codeLabel: 'code',
    // Caddy knows no Kubernetes: its `server` name (srv0, ...) stands in for the service, the
    // scrape's namespace label is kept, and graceful_namespace/graceful_service override both.
    namespace: [overrideNamespace],
    service: [{ from: 'server' }, overrideService],
    // Caddy 2.6 does not observe a request in the duration histogram when the proxy handler
    // returns an error (upstream refused/reset): those 502s only show in request_errors_total.
    extra: [{ metric: 'caddy_http_request_errors_total', matchers: 'handler=~"reverse_proxy|subroute"', code: '502' }],
    example: (ns, svc, code) =>
      code === '502'
        ? [{ metric: 'caddy_http_request_errors_total', labels: { server: 'srv0', handler: 'subroute', [OVERRIDE.namespace]: ns, [OVERRIDE.service]: svc } }]
        : [{ metric: 'caddy_http_request_duration_seconds_count', labels: { server: 'srv0', handler: 'subroute', code, method: 'GET', [OVERRIDE.namespace]: ns, [OVERRIDE.service]: svc } }],
  },
  {
    kind: 'counter',
    id: 'haproxy',
    title: 'HAProxy (code class only)',
    metric: 'haproxy_backend_http_responses_total',
    matchers: '',
    codeLabel: 'code',
    classOnly: true,
    // Native exporter labels the backend `proxy`, haproxy_exporter `backend`; the HAProxy
    // Kubernetes ingress names backends namespace_service_port.
    namespace: [{ value: '' }, haproxyIngress.namespace, overrideNamespace],
    service: [{ from: 'backend' }, { from: 'proxy' }, haproxyIngress.service, overrideService],
    example: (ns, svc, code) => [{ metric: 'haproxy_backend_http_responses_total', labels: { proxy: `${ns}_${svc}_http`, code: `${code[0]}xx` } }],
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
    // ALB names carry no Kubernetes names reliably: attach graceful_namespace/graceful_service
    // per load balancer (docs/grafana-pack.md); without them the ALB name is the service.
    namespace: [{ value: '' }, overrideNamespace],
    service: [{ from: 'dimension_LoadBalancer', regex: 'app/([^/]+)/.+', replacement: '$1' }, overrideService],
    example: (ns, svc, code) => {
      const labels = { name: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/${svc}/50dc6c495c0c9188`, dimension_LoadBalancer: `app/${svc}/50dc6c495c0c9188`, region: 'eu-west-1', account_id: '123456789012', [OVERRIDE.namespace]: ns, [OVERRIDE.service]: svc };
      return [{ metric: code === 'total' ? 'aws_applicationelb_request_count_sum' : `aws_applicationelb_httpcode_elb_${code}_count_sum`, labels }];
    },
  },
];

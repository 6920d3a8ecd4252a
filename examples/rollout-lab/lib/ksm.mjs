// A stand-in for kube-state-metrics: the Deployment series the pack's rollout rules read, with the
// values a Deployment controller would report for the lab's rolling restart. With it the rules
// work unchanged; nothing in the pack knows it is talking to a lab.
import http from 'node:http';
import { HOST } from './net.mjs';
import { NAMESPACE } from './prometheus.mjs';

// What kube-state-metrics reports as the Progressing condition's reason.
const ROLLING = 'ReplicaSetUpdated';
const COMPLETE = 'NewReplicaSetAvailable';

export class KubeStateMetrics {
  constructor() {
    /** @type {Map<string, { spec: number, replicas: number, updated: number, rolling: boolean }>} */
    this.deployments = new Map();
    this.server = http.createServer((request, response) => {
      response.writeHead(request.url === '/metrics' ? 200 : 404, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(request.url === '/metrics' ? this.exposition() : '');
    });
  }

  listen(port) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, HOST, resolve);
    });
  }

  close() {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(resolve));
  }

  /** Sets a deployment's status: `replicas` counts pods not yet terminating, `updated` those of the new template. */
  set(name, status) {
    this.deployments.set(name, { ...this.deployments.get(name), ...status });
  }

  exposition() {
    const lines = [
      '# TYPE kube_deployment_status_condition gauge',
      '# TYPE kube_deployment_spec_replicas gauge',
      '# TYPE kube_deployment_status_replicas gauge',
      '# TYPE kube_deployment_status_replicas_updated gauge',
    ];
    for (const [name, d] of this.deployments) {
      const id = `namespace="${NAMESPACE}",deployment="${name}"`;
      const reason = d.rolling ? ROLLING : COMPLETE;
      // One series per status, as kube-state-metrics does; only status="true" is 1.
      for (const status of ['true', 'false', 'unknown']) {
        lines.push(`kube_deployment_status_condition{${id},condition="Progressing",status="${status}",reason="${reason}"} ${status === 'true' ? 1 : 0}`);
      }
      lines.push(`kube_deployment_spec_replicas{${id}} ${d.spec}`);
      lines.push(`kube_deployment_status_replicas{${id}} ${d.replicas}`);
      lines.push(`kube_deployment_status_replicas_updated{${id}} ${d.updated}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

// The preStop hook the lab's kubelet stand-in runs: the one in examples/kubernetes/deployment.yaml,
// as shipped, with the Deployment's health port replaced by the instance's. It runs with the
// container's environment, so it carries the preload through NODE_OPTIONS as in a real pod.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const MANIFEST = fileURLToPath(new URL('../../kubernetes/deployment.yaml', import.meta.url));

/** `{ command, port }`: the exec hook's command and the health port it was written for. */
export function manifestPreStop() {
  const docs = parseAllDocuments(readFileSync(MANIFEST, 'utf8')).map((d) => d.toJS());
  const container = docs.find((d) => d?.kind === 'Deployment').spec.template.spec.containers[0];
  const command = container.lifecycle?.preStop?.exec?.command;
  const port = container.env.find((e) => e.name === 'GRACEFUL_OTEL_HEALTH_PORT')?.value;
  if (!Array.isArray(command) || port === undefined) throw new Error(`${MANIFEST}: no exec preStop hook or health port`);
  return { command, port: String(port) };
}

/** The hook's command for an instance whose health server listens on `healthPort`. */
export function preStopFor(hook, healthPort) {
  return hook.command.map((arg) => arg.replaceAll(hook.port, String(healthPort)));
}

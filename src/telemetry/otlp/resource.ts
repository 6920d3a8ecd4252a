/**
 * The resource of the shutdown trace graceful-otel exports on its own: `service.name` and the
 * `OTEL_RESOURCE_ATTRIBUTES` pairs, as the SDK's env detectors read them, plus the process id and
 * the host name.
 */
import os from 'node:os';
import { RESOURCE_ATTR, UNKNOWN_SERVICE } from '../names.js';
import type { AttributeValue } from '../tracer.js';

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function envResource(env: NodeJS.ProcessEnv = process.env): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    attributes[decode(pair.slice(0, eq).trim())] = decode(pair.slice(eq + 1).trim());
  }
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || attributes[RESOURCE_ATTR.serviceName] || UNKNOWN_SERVICE;
  return { ...attributes, [RESOURCE_ATTR.serviceName]: serviceName, [RESOURCE_ATTR.processPid]: process.pid, [RESOURCE_ATTR.hostName]: os.hostname() };
}

// Loopback helpers: free ports, one-shot HTTP requests, bounded polling.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export const HOST = '127.0.0.1';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Ports come from below the kernel's ephemeral range: a port picked with listen(0) is an ephemeral
// port, and once released any outgoing connection (Caddy's health checks, Prometheus's scrapes) may
// take it as its source port before the instance meant for that slot listens on it.
function belowEphemeralRange() {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > 2048) return low;
  } catch {
    // not Linux: the IANA dynamic range starts at 49152
  }
  return 32768;
}

function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** `n` distinct ports that are free on 127.0.0.1, from a random spot below the ephemeral range. */
export async function freePorts(n) {
  const top = belowEphemeralRange();
  const bottom = 10_000;
  const ports = [];
  let candidate = bottom + Math.floor(Math.random() * (top - bottom - n * 4));
  for (let tries = 0; ports.length < n && tries < n * 20; tries++, candidate++) {
    if (candidate >= top) candidate = bottom;
    if (await canListen(candidate)) ports.push(candidate);
  }
  if (ports.length < n) throw new Error(`found only ${ports.length} of ${n} free ports below ${top}`);
  return ports;
}

/** One request without keep-alive; resolves with status and body, rejects on a socket error. */
export function request(url, { method = 'GET', body, headers = {}, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls `probe` until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function until(probe, { timeoutMs, intervalMs = 100, what }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
}

/** Samples of a Prometheus text exposition: [{ name, labels, value }]. */
export function parseExposition(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

'use strict';
// Shared by every bench app: the hello-world handler, two control routes and the port
// announcement on stdout. Peers wrap this server the way their READMEs say; nothing else differs.
//   /               hello world (the route under load)
//   /hold?until=ms  answers at the wall time `until` (Date.now() epoch ms): an in-flight request
//   /stats          this process's CPU time (µs), RSS, its private part (RssAnon: not the node
//                   binary's shared code pages), peak RSS and held-request count, as JSON;
//                   with BENCH_ELD=1, also the longest event-loop stall in the first 2 s after listening,
//                   and in the first 6 s (graceful-otel's warm-up, 2.5 s after listening, included)
const http = require('node:http');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const STALL_WINDOW_MS = 2000;
const LONG_STALL_WINDOW_MS = 6000;
let stallMaxMs = null;
let stallMaxLongMs = null;

const BODY = 'hello world\n';
const HEADERS = { 'content-type': 'text/plain', 'content-length': String(BODY.length) };
let held = 0;

function hello(_request, response) {
  response.writeHead(200, HEADERS);
  response.end(BODY);
}

function hold(request, response) {
  const until = Number(new URL(request.url, 'http://x').searchParams.get('until'));
  held++;
  setTimeout(() => {
    held--;
    hello(request, response);
  }, Math.max(0, until - Date.now()));
}

/** RssAnon from /proc/self/status (Linux), bytes; null elsewhere. */
function rssAnon() {
  try {
    const kb = /RssAnon:\s+(\d+) kB/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

function stats(_request, response) {
  const cpu = process.cpuUsage();
  const body = JSON.stringify({
    cpuMicros: cpu.user + cpu.system,
    rss: process.memoryUsage.rss(),
    rssAnon: rssAnon(),
    maxRssKb: process.resourceUsage().maxRSS,
    held,
    stallMaxMs,
    stallMaxLongMs,
  });
  response.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
  response.end(body);
}

function handler(request, response) {
  if (request.url === '/') return hello(request, response);
  if (request.url === '/stats') return stats(request, response);
  if (request.url.startsWith('/hold')) return hold(request, response);
  response.writeHead(404, HEADERS);
  response.end(BODY);
}

/** Creates the app's server; `wrap` lets an app put middleware around the handler. */
function createServer(wrap = (h) => h) {
  return http.createServer(wrap(handler));
}

/** Listens on a free loopback port and announces it as one JSON line on stdout. */
function listen(server, onListening = () => {}) {
  server.listen(0, '127.0.0.1', () => {
    if (process.env.BENCH_ELD) watchStalls();
    onListening();
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  });
  return server;
}

/** The longest event-loop delay (ms) in the windows after listening, sampled every 1 ms. */
function watchStalls() {
  const watch = (ms, record) => {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    setTimeout(() => {
      histogram.disable();
      record(histogram.max / 1e6);
    }, ms);
  };
  watch(STALL_WINDOW_MS, (max) => (stallMaxMs = max));
  watch(LONG_STALL_WINDOW_MS, (max) => (stallMaxLongMs = max));
}

module.exports = { createServer, listen };

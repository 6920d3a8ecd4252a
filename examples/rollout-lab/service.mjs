// The lab's example service: a plain node:http app (like examples/http.mjs) with a readiness route
// on its own port, because Caddy 2.6's active health checks take one port for every upstream and
// each instance's graceful-otel health server has a port of its own. (AWS ALB target groups probe
// the traffic port by default too.)
//
// LAB_MODE picks the shutdown behaviour, everything else is identical:
//   none           Node defaults: SIGTERM kills the process at once.
//   naive          on SIGTERM: server.close(), exit when it calls back. No readiness change, no delay.
//   graceful-otel  run under `--import graceful-otel/register`; /readyz reports the preload's
//                  readiness through the programmatic API (the one line this mode adds).
import http from 'node:http';

const mode = process.env.LAB_MODE ?? 'none';
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

let isReady = () => true;
if (mode === 'graceful-otel') ({ isReady } = await import('graceful-otel'));

const server = http.createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://x');
  if (url.pathname === '/readyz') {
    const ready = isReady();
    response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
    response.end(ready ? 'ready\n' : 'shutting down\n');
    return;
  }
  // Work that takes a while, so requests are in flight when a signal arrives.
  const delayMs = Number(url.searchParams.get('delay') ?? 0);
  setTimeout(() => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ok: true, pid: process.pid }));
  }, delayMs);
});

if (mode === 'naive') {
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

server.listen(port, host, () => {
  console.log(JSON.stringify({ msg: 'listening', port: server.address().port }));
});

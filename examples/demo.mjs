// The main job: the example service under the preload, with a small OTLP receiver, keep-alive load,
// a few slow requests in flight, then SIGTERM. Prints what the load saw, the shutdown trace as a
// tree with timings, the final metrics (scraped during the linger) and the exit code.
//   npm run demo
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTrace, startOtlpReceiver } from './lib/otlp-receiver.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const receiver = await startOtlpReceiver();
const app = spawn(process.execPath, ['--import', 'graceful-otel/register', 'examples/http.mjs'], {
  cwd: root,
  env: {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    OTEL_SERVICE_NAME: 'demo-service',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    GRACEFUL_OTEL_HEALTH_PORT: '0',
    GRACEFUL_OTEL_HEALTH_HOST: '127.0.0.1',
    GRACEFUL_OTEL_DRAIN_DELAY: '1s',
    GRACEFUL_OTEL_GRACE_PERIOD: '15s',
    GRACEFUL_OTEL_METRICS_LINGER: '5s',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const logLines = [];
const exited = new Promise((resolve) => app.once('exit', (code, signal) => resolve({ code, signal })));
process.once('SIGINT', () => app.kill('SIGKILL'));

const lines = (stream, onLine) => {
  let rest = '';
  stream.on('data', (chunk) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop();
    parts.forEach(onLine);
  });
};
const ports = {};
const ready = new Promise((resolve) => {
  const check = () => ports.app && ports.health && resolve();
  lines(app.stdout, (line) => {
    if (line.includes('"listening"')) ports.app = JSON.parse(line).port;
    check();
  });
  lines(app.stderr, (line) => {
    try {
      const entry = JSON.parse(line);
      logLines.push(entry);
      if (entry.event === 'health.listening') ports.health = entry.port;
    } catch {
      process.stderr.write(`${line}\n`);
    }
    check();
  });
});
await Promise.race([ready, exited.then(() => Promise.reject(new Error('the app exited before listening')))]);
console.log(`service on :${ports.app}, health on :${ports.health}, OTLP receiver on :${receiver.port}\n`);

// Keep-alive load: 8 loops of short requests, plus 3 slow ones (2 s) that will be in flight at SIGTERM.
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const tally = { ok: 0, other: 0, closeHeader: 0, errors: {} };
const request = (pathname) =>
  new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: ports.app, path: pathname, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) tally.ok++;
        else tally.other++;
        if (res.headers.connection === 'close') tally.closeHeader++;
        resolve(true);
      });
    });
    req.on('error', (error) => {
      tally.errors[error.code ?? error.message] = (tally.errors[error.code ?? error.message] ?? 0) + 1;
      resolve(false);
    });
  });
let stopLoad = false;
const loops = Array.from({ length: 8 }, async () => {
  for (let i = 0; i < 5000 && !stopLoad; i++) {
    // A refused connection means the listener closed: a load balancer would have moved on.
    if (!(await request('/?delay=20'))) return;
  }
});
const slow = Array.from({ length: 3 }, () => request('/?delay=2000'));

await sleep(800);
const readyBefore = await status(ports.health, '/readyz');
console.log(`t=0      SIGTERM   (readyz was ${readyBefore})`);
const sentAt = performance.now();
app.kill('SIGTERM');
await sleep(50);
console.log(`t=+50ms  readyz ${await status(ports.health, '/readyz')}, livez ${await status(ports.health, '/livez')} — the load balancer stops routing; the delay keeps serving`);

// Final metrics: once the drain is over the preload lingers until /metrics is scraped once more.
while (!logLines.some((l) => l.event === 'phase.started' && l.phase === 'flush') && performance.now() - sentAt < 14_000) await sleep(50);
const metrics = await text(ports.health, '/metrics');
stopLoad = true;
await Promise.all([...loops, ...slow]);
agent.destroy();
const exit = await exited;
const exitMs = Math.round(performance.now() - sentAt);
await sleep(200);
await receiver.close();

console.log(`\n== load (keep-alive, 8 loops + 3 slow requests)`);
console.log(`answered 200: ${tally.ok}, other status: ${tally.other}, with Connection: close: ${tally.closeHeader}`);
console.log(`not accepted (listener closed or socket closed before the request): ${JSON.stringify(tally.errors)}`);
console.log(`\n== shutdown trace (as received over OTLP)`);
console.log(formatTrace(receiver.spans));
console.log(`\n== final metrics (scraped from the health port during the linger)`);
console.log(
  metrics
    .split('\n')
    .filter((l) => l.startsWith('graceful_') && !/_bucket\{/.test(l) && (!/ 0$/.test(l) || /^graceful_(ready|shutdown_exit_code) /.test(l)))
    .join('\n'),
);
const summary = logLines.find((l) => l.event === 'shutdown.summary');
console.log(`\n== summary line`);
console.log(JSON.stringify({ exit_code: summary?.exit_code, phases_ms: summary?.phases_ms, forced: summary?.forced, drain: summary?.drain }));
console.log(`\nexit code ${exit.code} after ${exitMs} ms (grace period 15 s)`);
process.exitCode = exit.code === 0 && tally.other === 0 ? 0 : 1;

function status(port, pathname) {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: pathname, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).on('error', (error) => resolve(error.code));
  });
}

function text(port, pathname) {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: pathname, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', (error) => resolve(`scrape failed: ${error.code}`));
  });
}

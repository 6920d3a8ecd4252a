// A plain node:http service with no shutdown code of its own. Run it under the preload:
//   node --import graceful-otel/register examples/http.mjs
import http from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

const server = http.createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://x');
  const delayMs = Number(url.searchParams.get('delay') ?? 0);
  setTimeout(() => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ok: true, path: url.pathname, delayMs }));
  }, delayMs);
});

server.listen(port, host, () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'listening', port: typeof address === 'object' && address ? address.port : port }));
});

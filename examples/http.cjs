// The same plain node:http service as http.mjs, as CommonJS. No shutdown code of its own:
//   node -r graceful-otel/register examples/http.cjs
const http = require('node:http');

const server = http.createServer((request, response) => {
  const delayMs = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
  setTimeout(() => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ok: true, delayMs }));
  }, delayMs);
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', port: server.address().port }));
});

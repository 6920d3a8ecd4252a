// An Express 5 service, CommonJS, with no shutdown code: node -r graceful-otel/register examples/express.cjs
const express = require('express');

const app = express();
app.get('/', (request, response) => {
  setTimeout(() => response.json({ ok: true, framework: 'express' }), Number(request.query.delay ?? 0));
});

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', port: server.address().port }));
});

// An Express 5 service, ESM, with no shutdown code: node --import graceful-otel/register examples/express.mjs
import express from 'express';

const app = express();
app.get('/', async (request, response) => {
  const delayMs = Number(request.query.delay ?? 0);
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  response.json({ ok: true, framework: 'express', delayMs });
});

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', port: server.address().port }));
});

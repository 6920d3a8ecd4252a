// A Fastify 5 service, ESM, with no shutdown code: node --import graceful-otel/register examples/fastify.mjs
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async (request) => {
  const delayMs = Number(request.query.delay ?? 0);
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  return { ok: true, framework: 'fastify', delayMs };
});

await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
console.log(JSON.stringify({ msg: 'listening', port: app.server.address().port }));

// A Fastify 5 service, CommonJS, with no shutdown code: node -r graceful-otel/register examples/fastify.cjs
const Fastify = require('fastify');

const app = Fastify();
app.get('/', async (request) => {
  await new Promise((resolve) => setTimeout(resolve, Number(request.query.delay ?? 0)));
  return { ok: true, framework: 'fastify' };
});

app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' }).then(() => {
  console.log(JSON.stringify({ msg: 'listening', port: app.server.address().port }));
});

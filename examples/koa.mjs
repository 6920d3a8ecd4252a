// A Koa 3 service, ESM, with no shutdown code: node --import graceful-otel/register examples/koa.mjs
import Koa from 'koa';

const app = new Koa();
app.use(async (ctx) => {
  const delayMs = Number(ctx.query.delay ?? 0);
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  ctx.body = { ok: true, framework: 'koa', delayMs };
});

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', port: server.address().port }));
});

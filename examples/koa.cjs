// A Koa 3 service, CommonJS, with no shutdown code: node -r graceful-otel/register examples/koa.cjs
const Koa = require('koa');

const app = new Koa();
app.use(async (ctx) => {
  await new Promise((resolve) => setTimeout(resolve, Number(ctx.query.delay ?? 0)));
  ctx.body = { ok: true, framework: 'koa' };
});

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', port: server.address().port }));
});

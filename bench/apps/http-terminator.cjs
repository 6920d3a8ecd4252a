'use strict';
// http-terminator as its README shows it: createHttpTerminator, terminate() on SIGTERM.
const { createHttpTerminator } = require('http-terminator');
const { createServer, listen } = require('./common.cjs');

const server = listen(createServer());
const httpTerminator = createHttpTerminator({ server, gracefulTerminationTimeout: 30_000 });
process.on('SIGTERM', async () => {
  await httpTerminator.terminate();
  process.exit(0);
});

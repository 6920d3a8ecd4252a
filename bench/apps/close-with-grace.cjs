'use strict';
// close-with-grace as its README shows it: close the server in the callback.
const closeWithGrace = require('close-with-grace');
const { createServer, listen } = require('./common.cjs');

const server = listen(createServer());
closeWithGrace({ delay: 30_000, logger: false }, async () => {
  await new Promise((resolve) => server.close(resolve));
});

'use strict';
// @godaddy/terminus as its README shows it: createTerminus with a health check and onSignal.
// The timeout is raised from its 1 s default so the in-flight bench is not cut.
const { createTerminus } = require('@godaddy/terminus');
const { createServer, listen } = require('./common.cjs');

const server = createServer();
createTerminus(server, {
  signals: ['SIGTERM'],
  timeout: 30_000,
  healthChecks: { '/healthcheck': async () => {} },
  onSignal: async () => {},
});
listen(server);

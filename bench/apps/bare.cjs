'use strict';
// The baseline app. BENCH_FLOOR picks the minimal correct SIGTERM handler a floor is measured with:
//   exit   process.on('SIGTERM', () => process.exit(0)), the floor when nothing is open
//   drain  responses still in flight get `Connection: close`, server.close() (which also closes
//          idle keep-alive sockets), exit once it has closed: the floor with open sockets
//   unset  no handler (Node's default: the signal kills the process); graceful-otel runs on this
const { createServer, listen } = require('./common.cjs');

const floor = process.env.BENCH_FLOOR;
const inflight = new Set();
const tracking = (handler) => (request, response) => {
  inflight.add(response);
  response.on('close', () => inflight.delete(response));
  handler(request, response);
};

const server = listen(floor === 'drain' ? createServer(tracking) : createServer());
if (floor === 'exit') process.on('SIGTERM', () => process.exit(0));
if (floor === 'drain') {
  process.on('SIGTERM', () => {
    for (const response of inflight) if (!response.headersSent) response.setHeader('connection', 'close');
    server.close(() => process.exit(0));
  });
}

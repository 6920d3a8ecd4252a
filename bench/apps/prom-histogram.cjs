'use strict';
// Not a shutdown library: the cost of one prom-client histogram observed per request, the usual
// HTTP metrics middleware, as a yardstick for what "overhead" looks like.
const { Histogram } = require('prom-client');
const { createServer, listen } = require('./common.cjs');

const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Duration of HTTP requests.',
  labelNames: ['method', 'status'],
});

function withHistogram(handler) {
  return (request, response) => {
    const end = duration.startTimer();
    response.on('finish', () => end({ method: request.method, status: response.statusCode }));
    handler(request, response);
  };
}

listen(createServer(withHistogram));

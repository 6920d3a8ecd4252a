// A tiny OTLP/HTTP receiver (http/json): answers 200 to every export and counts spans, so the
// "with SDK" shutdown rows can show that the shutdown trace actually arrived.
import http from 'node:http';

export async function startReceiver() {
  let spans = 0;
  let requests = 0;
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      requests++;
      if (request.url === '/v1/traces') spans += countSpans(Buffer.concat(chunks));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Spans received since the last call. */
    takeSpans() {
      const n = spans;
      spans = 0;
      return n;
    },
    get requests() {
      return requests;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

function countSpans(body) {
  try {
    const { resourceSpans = [] } = JSON.parse(body.toString('utf8'));
    return resourceSpans.flatMap((r) => r.scopeSpans ?? []).reduce((n, s) => n + (s.spans?.length ?? 0), 0);
  } catch {
    return 0;
  }
}

/**
 * https and HTTP/2 servers are found and drained like http ones: in-flight work completes, idle
 * TLS keep-alive sockets close once idle, WebSockets over https get close code 1001, HTTP/2 sessions
 * get GOAWAY (on Node 22 as on 24) and finish their open streams.
 */
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, startApp, stopAll } from './helpers/app.js';

const APP = path.join(FIXTURES, 'tls-app.mjs');
const ca = readFileSync(path.join(FIXTURES, 'tls-cert.pem'));
afterEach(stopAll);

function httpsGet(port: number, pathname: string, agent: https.Agent): Promise<{ status?: number; connection?: string; error?: string }> {
  return new Promise((resolve) => {
    https
      .get({ host: '127.0.0.1', port, path: pathname, agent, ca }, (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode, connection: String(response.headers.connection) }));
      })
      .on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

describe('https', () => {
  it('drains a slow TLS request, closes idle TLS keep-alive sockets once idle (not at the keep-alive timeout), exits 0', async () => {
    const app = await startApp(APP, { env: { KIND: 'https' } });
    const agent = new https.Agent({ keepAlive: true, maxSockets: 20 });
    const warm = await Promise.all(Array.from({ length: 10 }, () => httpsGet(app.port, '/', agent)));
    expect(warm.every((r) => r.status === 200)).toBe(true);
    const slow = httpsGet(app.port, '/?delay=1500', agent);
    await app.received(11);
    app.signal('SIGTERM');
    const [result, exit] = await Promise.all([slow, app.exited]);
    agent.destroy();
    expect(result).toEqual({ status: 200, connection: 'close' });
    expect(exit.code).toBe(0);
    // The slow request bounds the exit, not the idle sockets' 5 s keep-alive timeout.
    expect(exit.ms).toBeLessThan(4000);
    const started = app.logs().find((l) => l.event === 'shutdown.started');
    expect(started?.servers).toEqual([expect.stringMatching(/^https:\d+$/)]);
    expect(started?.connections).toBe(10);
    expect(started?.inflight).toBe(1);
  });
});

describe('https: sockets with no request, and wss', () => {
  it('a silent TCP socket, a TLS socket with no request and 5 wss clients: closed, 1001, exit 0 within 1.5 s', async () => {
    const app = await startApp(APP, { env: { KIND: 'https', WS: '1' } });
    const silent = net.connect(app.port, '127.0.0.1');
    silent.on('error', () => {});
    const quiet = tls.connect({ port: app.port, host: '127.0.0.1', ca, servername: 'localhost' });
    quiet.on('error', () => {});
    const clients = Array.from({ length: 5 }, () => new WebSocket(`wss://127.0.0.1:${app.port}/`, { ca, servername: 'localhost' }));
    const codes = Promise.all(clients.map((c) => new Promise<number>((resolve) => {
      c.on('error', () => {});
      c.once('close', resolve);
    })));
    await Promise.all([...clients.map((c) => new Promise((resolve) => c.once('open', resolve))), new Promise((resolve) => quiet.once('secureConnect', resolve))]);
    // Accepts are taken in order: once a later connection is answered, the silent one was accepted.
    const agent = new https.Agent({ keepAlive: false });
    expect((await httpsGet(app.port, '/', agent)).status).toBe(200);
    app.signal('SIGTERM');
    const [closeCodes, exit] = await Promise.all([codes, app.exited]);
    expect(closeCodes).toEqual(Array(5).fill(1001));
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(1500);
    expect(app.logs().find((l) => l.event === 'shutdown.started')?.connections).toBeGreaterThanOrEqual(7);
  });
});

describe('http2', () => {
  // Node 24's Http2Server#close() sends GOAWAY by itself, Node 22's does not: this test runs on
  // both (npm run test:node22), and on 22 only graceful-otel's own session.close() passes it.
  it('an idle session and an open stream at SIGTERM: GOAWAY reaches both before the open stream ends', async () => {
    const app = await startApp(APP, { env: { KIND: 'h2c' } });
    const events: string[] = [];
    const connect = (name: string): http2.ClientHttp2Session => {
      const session = http2.connect(`http://127.0.0.1:${app.port}`);
      session.on('error', () => {});
      session.once('goaway', () => events.push(`${name} goaway`));
      return session;
    };
    const idle = connect('idle');
    const busy = connect('busy');
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    await new Promise((resolve) => idle.ping(resolve));
    const stream = busy.request({ ':path': '/?delay=1500' });
    stream.resume();
    const ended = new Promise<number>((resolve, reject) => {
      let status = 0;
      stream.on('response', (headers) => (status = Number(headers[':status'])));
      stream.on('end', () => {
        events.push('stream end');
        resolve(status);
      });
      stream.on('error', reject);
    });
    await app.received();
    app.signal('SIGTERM');
    const [status, exit] = await Promise.all([ended, app.exited, idleClosed]);
    busy.destroy();
    expect(status).toBe(200);
    expect(exit.code).toBe(0);
    expect(events.indexOf('stream end')).toBe(2);
    expect(events.slice(0, 2).sort()).toEqual(['busy goaway', 'idle goaway']);
    expect(exit.ms).toBeLessThan(3000);
  });

  it('sends GOAWAY and lets the open stream finish, exits 0', async () => {
    const app = await startApp(APP, { env: { KIND: 'h2c' } });
    const session = http2.connect(`http://127.0.0.1:${app.port}`);
    session.on('error', () => {});
    const goaway = new Promise((resolve) => session.once('goaway', resolve));
    const slow = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const stream = session.request({ ':path': '/?delay=1200' });
      let status = 0;
      let body = '';
      stream.on('response', (headers) => (status = Number(headers[':status'])));
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (body += chunk));
      stream.on('end', () => resolve({ status, body }));
      stream.on('error', reject);
    });
    await app.received();
    app.signal('SIGTERM');
    await goaway;
    const [result, exit] = await Promise.all([slow, app.exited]);
    session.destroy();
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ ok: true, delayMs: 1200 });
    expect(exit.code).toBe(0);
    const started = app.logs().find((l) => l.event === 'shutdown.started');
    expect(started?.servers).toEqual([expect.stringMatching(/^http2:\d+$/)]);
    expect(started?.inflight).toBe(1);
  });
});

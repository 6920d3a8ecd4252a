// A separate process (pinned to CPU 1) that holds many client sockets open against a bench server,
// so that closing them costs this process, not the harness that times the server's exit.
//   node holder.mjs <port> <count> idle          one GET / per socket, then keep it idle (keep-alive)
//   node holder.mjs <port> <count> hold <until>  one GET /hold?until=… per socket, left in flight
// Prints "ready" once every socket is connected (idle: answered; hold: request written).
// Sockets close when the server ends them; the process exits when all are gone, or after 60 s.
import net from 'node:net';

const [port, count, mode, until] = process.argv.slice(2);
const total = Number(count);
const BATCH = 500;
const path = mode === 'hold' ? `/hold?until=${until}` : '/';
const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
let open = 0;

function connect() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: Number(port), host: '127.0.0.1' });
    socket.on('error', reject);
    socket.once('connect', () => {
      open++;
      socket.write(request);
      if (mode === 'hold') resolve();
      else socket.once('data', () => resolve());
    });
    socket.on('end', () => socket.destroy());
    socket.on('close', () => --open === 0 && ready && process.exit(0));
  });
}

let ready = false;
for (let done = 0; done < total; done += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, total - done) }, connect));
}
ready = true;
process.stdout.write('ready\n');
setTimeout(() => process.exit(0), 60_000).unref();
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

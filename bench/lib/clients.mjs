// Load from CPU 1: wrk for throughput, the socket holder for idle and in-flight connections.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NODE } from './server.mjs';

const LOAD_CPU = '1';
const HOLDER = fileURLToPath(new URL('./holder.mjs', import.meta.url));
const run = promisify(execFile);

/** Runs wrk over keep-alive against `/` and returns requests completed and req/s. */
export async function wrk(port, { seconds, connections = 32 }) {
  const { stdout } = await run('taskset', ['-c', LOAD_CPU, 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`], {
    timeout: (seconds + 30) * 1000,
  });
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout)?.[0];
  if (!Number.isFinite(requests) || !Number.isFinite(rps)) throw new Error(`cannot parse wrk output:\n${stdout}`);
  return { requests, rps, errors };
}

/** Opens `count` sockets to the server (see holder.mjs); resolves once they are all in place. */
export function holdSockets(port, count, mode, until = 0) {
  const child = spawn('taskset', ['-c', LOAD_CPU, NODE, HOLDER, String(port), String(count), mode, String(until)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)));
  const release = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      release();
      reject(new Error(`holder: ${count} sockets not ready within 60 s\n${stderr}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`holder exited early (code ${code})\n${stderr}`));
    });
    child.stdout.once('data', () => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ release });
    });
  });
}

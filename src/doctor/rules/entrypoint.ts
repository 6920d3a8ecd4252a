/**
 * Entry points that lose or delay SIGTERM: the kubelet signals PID 1 only. npm, yarn and pnpm do
 * not wait for the app they started; a shell runs node as a child unless it `exec`s it.
 */
import type { Finding } from '../finding.js';
import type { ConfigFreeRule } from './check.js';

const PACKAGE_MANAGER = /(?:^|[\s;&|(])(npm|yarn|pnpm|npx)\s+(?:start|run\b|run-script\b|exec\b|[\w:.-]+\s*$)/;
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'busybox']);
const INITS = new Set(['tini', 'tini-static', 'dumb-init', 'catatonit']);
const basename = (command: string): string => command.slice(command.lastIndexOf('/') + 1);

export const entrypointRules: ConfigFreeRule = (check) => {
  const { app } = check;
  let argv = app.argv;
  // An init as PID 1 forwards signals and reaps: look at what it runs.
  if (argv[0] !== undefined && INITS.has(basename(argv[0]))) {
    const command = argv.findIndex((arg, i) => i > 0 && !arg.startsWith('-'));
    argv = command < 0 ? [] : argv.slice(command);
  }
  if (argv.length === 0) return [];
  const path = [...app.path, app.container.command !== undefined ? 'command' : 'args'];
  const first = basename(argv[0] ?? '');
  const shellScript = SHELLS.has(first) && argv[1] === '-c' ? (argv[2] ?? '') : undefined;
  const line = shellScript ?? argv.join(' ');
  const findings: Finding[] = [];
  const manager = PACKAGE_MANAGER.exec(line)?.[1];
  if (manager !== undefined && !/\bexec\s+node\b/.test(line)) {
    findings.push(
      check.report('error', 'entrypoint.package-manager', path, {
        message: `${manager} runs the app as a child and does not wait for it on SIGTERM: the container ends (and the app with it) before the hooks and the flush of the shutdown telemetry`,
        arithmetic: `PID 1: ${line}`,
        fix: 'run node directly in exec form, e.g. command: ["node", "server.js"] (NODE_OPTIONS carries the preload)',
      }),
    );
  } else if (shellScript !== undefined && !/^\s*exec\s/.test(shellScript) && !/(?:^|[;&|]\s*)exec\s+node\b/.test(shellScript)) {
    findings.push(
      check.report('warning', 'entrypoint.shell', path, {
        message: `${first} is PID 1 and runs node as its child: SIGTERM reaches the shell, which does not pass it on`,
        arithmetic: `PID 1: ${first} -c ${JSON.stringify(shellScript)}`,
        fix: `use exec form (command: ["node", "server.js"]), or start the script's last command with exec (… && exec node server.js), or run an init such as tini as PID 1`,
      }),
    );
  }
  return findings;
};

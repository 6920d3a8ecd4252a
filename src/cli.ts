#!/usr/bin/env node
/**
 * The package's one bin, `graceful-otel <command>`. Each subcommand takes its arguments and
 * returns its exit code; adding one is one line in COMMANDS.
 */
import { processIO, type CommandIO } from './cli-io.js';
import { doctor } from './doctor/index.js';
import { runPackCommand } from './pack/command.js';

interface Command {
  summary: string;
  run(args: readonly string[], io: CommandIO): number | Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  doctor: { summary: 'check Kubernetes manifests for shutdown timings that do not line up', run: doctor },
  pack: { summary: 'write the Grafana pack (rules, alerts, PrometheusRule, dashboards) from a config file', run: runPackCommand },
};

const USAGE = `Usage: graceful-otel <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
  .join('\n')}

Run graceful-otel <command> --help for a command's options.
`;

async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    (name === undefined ? io.stderr : io.stdout)(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`graceful-otel: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  return command.run(args, io);
}

main(process.argv.slice(2), processIO).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A bug, not bad input: say so in one line and keep the stack for a report.
    process.stderr.write(`graceful-otel: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  },
);

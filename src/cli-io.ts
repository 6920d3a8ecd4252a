/** What a subcommand of the `graceful-otel` bin reads and writes; tests pass their own. */
import { readFileSync } from 'node:fs';

export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): string;
}

export const processIO: CommandIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: () => readFileSync(0, 'utf8'),
};

/** Reading the doctor's input: files, directories and stdin, parsed as (multi-document) YAML. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';

/** A problem with the command line or the input: reported in one line, exit code 2, never a stack. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** Whether the command's usage text helps (a wrong option), or the message says it all (a bad file). */
  constructor(message: string, readonly showUsage = false) {
    super(message);
  }
}

/** One YAML document, with what is needed to point back at a line of its file. */
export interface SourceDocument {
  file: string;
  document: Document;
  lineCounter: LineCounter;
}

/** Text of every input: `-` is stdin; a directory contributes its `*.yaml` and `*.yml` files. */
export function readInputs(args: readonly string[], readStdin: () => string): { file: string; text: string }[] {
  return args.flatMap((arg) => {
    if (arg === '-') return [{ file: '<stdin>', text: readStdin() }];
    let isDirectory: boolean;
    try {
      isDirectory = statSync(arg).isDirectory();
    } catch {
      throw new UsageError(`${arg}: no such file or directory`);
    }
    const files = isDirectory
      ? readdirSync(arg).filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => path.join(arg, name))
      : [arg];
    return files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  });
}

/** Parses every input; the first syntax error stops the run with `file:line:column: message`. */
export function parseInputs(inputs: readonly { file: string; text: string }[]): SourceDocument[] {
  return inputs.flatMap(({ file, text }) => {
    const lineCounter = new LineCounter();
    const documents = parseAllDocuments(text, { lineCounter });
    if (!Array.isArray(documents)) return []; // an empty stream
    for (const document of documents) {
      const error = document.errors[0];
      if (error !== undefined) {
        const at = error.linePos?.[0];
        // The yaml package appends a code excerpt to its message: keep the sentence only.
        const sentence = error.message.split(' at line ')[0]?.split('\n')[0] ?? error.message;
        throw new UsageError(`${file}:${at ? `${at.line}:${at.col}` : '?'}: invalid YAML: ${sentence}`);
      }
    }
    return documents.map((document) => ({ file, document, lineCounter }));
  });
}

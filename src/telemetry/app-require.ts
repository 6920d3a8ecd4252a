/**
 * Loads a package the way the app itself would: resolved from the app's main script (or the
 * working directory), else from graceful-otel's own location. A package the app has (prom-client,
 * the OpenTelemetry API and SDK) is then the app's copy, not a second one.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

/** `require` functions rooted at the app, then at graceful-otel itself. */
function requirers(): NodeJS.Require[] {
  const bases = [process.argv[1], path.join(process.cwd(), 'index.js')].filter((b): b is string => typeof b === 'string');
  return [...bases.map((base) => createRequire(path.resolve(base))), require];
}

/** Resolutions made so far: a lookup walks the file system, and the answer does not change while the app runs. */
const resolved = new Map<string, string | undefined>();

/** The resolved file of `specifier`, or undefined when neither the app nor graceful-otel has it. */
export function resolveFromApp(specifier: string): string | undefined {
  if (resolved.has(specifier)) return resolved.get(specifier);
  let file: string | undefined;
  for (const req of requirers()) {
    try {
      file = req.resolve(specifier);
      break;
    } catch {
      // not resolvable from there
    }
  }
  resolved.set(specifier, file);
  return file;
}

/** Loads `specifier` as the app would; throws when it is installed nowhere. */
export function requireFromApp<T>(specifier: string): T {
  const file = resolveFromApp(specifier);
  if (file === undefined) throw new Error(`${specifier} is not installed`);
  return require(file) as T;
}

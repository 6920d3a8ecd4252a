/**
 * Every read of a private field of pino or SonicBoom, each behind one small function, with the
 * versions it was checked against. If a future version moves a field, only this file changes, and
 * each function degrades to "unknown" rather than throwing.
 */

/**
 * pino keeps a logger's destination under `Symbol('pino.stream')` (pino `lib/symbols.js`,
 * `streamSym`; checked on pino 9.x and 10.x). Each copy of pino makes its own symbol, so it is
 * found by its description, on the instance or along its prototype chain (child loggers inherit it).
 */
const streamSymbols: symbol[] = [];

/** The destination of a pino logger, or `undefined` when `logger` is not one. Never throws. */
export function pinoDestination(logger: object): object | undefined {
  for (let pass = 0; pass < 2; pass++) {
    for (const sym of streamSymbols) {
      const stream: unknown = (logger as Record<symbol, unknown>)[sym];
      if (typeof stream === 'object' && stream !== null) return stream;
    }
    if (!learnStreamSymbol(logger)) return undefined;
  }
  return undefined;
}

function learnStreamSymbol(obj: object): boolean {
  try {
    for (let o: object | null = obj, depth = 0; o !== null && depth < 64; o = Object.getPrototypeOf(o) as object | null, depth++) {
      for (const sym of Object.getOwnPropertySymbols(o)) {
        if (sym.description === 'pino.stream' && !streamSymbols.includes(sym)) {
          streamSymbols.push(sym);
          return true;
        }
      }
    }
  } catch {
    // a Proxy or exotic object: not a pino logger
  }
  return false;
}

/**
 * Whether an asynchronous SonicBoom has nothing queued and no write in flight: its private
 * `_writing` and `_len` (sonic-boom 3.x and 4.x). With `minLength` 0 (pino.destination's default)
 * its public `flush(cb)` calls back at once even with a write in flight, so this is the only way
 * to know it is done. `undefined` when the fields are not there.
 */
export function sonicBoomIdle(stream: object): boolean | undefined {
  const { _writing: writing, _len: length } = stream as { _writing?: unknown; _len?: unknown };
  if (typeof writing !== 'boolean' || typeof length !== 'number') return undefined;
  return !writing && length === 0;
}

/** Parsing and printing of the durations accepted by every `GRACEFUL_OTEL_*` time setting. */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;

/** The longest delay a Node.js timer can hold (2^31-1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** What a duration setting accepts, for error messages. */
export const DURATION_FORMS = `a whole number of milliseconds (250) or a number with ms, s or m (250ms, 5s, 1.5s, 1m), at most ${MAX_DURATION_MS}ms (the longest a timer can hold, about 24.8 days)`;

/**
 * Parses `250ms`, `5s`, `1.5s`, `1m` or a bare whole number of milliseconds.
 * @returns milliseconds, or `undefined` when the text is not a duration or exceeds {@link MAX_DURATION_MS}.
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) return undefined;
  const value = Number(match[1]);
  const unit = match[2];
  const ms = unit === undefined ? (Number.isInteger(value) ? value : NaN) : Math.round(unit === 'ms' ? value : unit === 's' ? value * 1000 : value * 60_000);
  // A timer given more than it can hold fires at once: refuse it rather than cut the budget to 1 ms.
  return ms <= MAX_DURATION_MS ? ms : undefined;
}

/** Prints milliseconds the way a person would write them back into a setting. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 100 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * For a bare number refused as too short in milliseconds: the reading in seconds the person
 * most likely meant (a copy of Kubernetes' `terminationGracePeriodSeconds`, say).
 */
export function bareSecondsHint(text: string, minMs: number): string | undefined {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) >= minMs) return undefined;
  return `A bare number is milliseconds, and ${trimmed}ms is too short for a grace period: did you mean ${trimmed}s?`;
}

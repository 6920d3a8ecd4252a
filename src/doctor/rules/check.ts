/** What every rule family receives: one graceful-otel container, resolved, and the whole input. */
import type { Config } from '../../config.js';
import { formatDuration } from '../../duration.js';
import type { AppContainer } from '../container.js';
import { concerning, finding, type Finding, type FindingText, type Severity } from '../finding.js';
import type { PreStop } from '../lifecycle.js';
import type { FieldPath, K8sObject } from '../manifest.js';

export interface Check {
  app: AppContainer;
  config: Config;
  preStop: PreStop;
  objects: readonly K8sObject[];
  /** A finding about a field of this container's object. */
  report(severity: Severity, rule: string, path: FieldPath, text: FindingText): Finding;
}

export type Rule = (check: Check) => Finding[];
/** A rule that needs no configuration (it still runs when the configuration is invalid). */
export type ConfigFreeRule = (check: Pick<Check, 'app' | 'report'>) => Finding[];

export function makeCheck(app: AppContainer, config: Config, preStop: PreStop, objects: readonly K8sObject[]): Check {
  return { ...configFree(app), config, preStop, objects };
}

export function configFree(app: AppContainer): Pick<Check, 'app' | 'report'> {
  return { app, report: (severity, rule, path, text) => finding(severity, rule, app.workload.object, path, text, concerning(app)) };
}

/** Seconds as the manifests write them, milliseconds as the package prints them. */
export const seconds = (s: number): string => formatDuration(Math.round(s * 1000));
export const ms = formatDuration;

/** `GRACEFUL_OTEL_DRAIN_DELAY 5s` when the variable is set, `drain delay 5s (default)` when not. */
export function setting(check: Check, variable: string, label: string, valueMs: number): string {
  return variable in check.app.env ? `${variable} ${ms(valueMs)}` : `${label} ${ms(valueMs)} (default)`;
}

/** Path of the env entry that sets a variable, or of the container's env list when none does. */
export function envPath(check: Check, variable: string): FieldPath {
  return check.app.envPaths[variable] ?? [...check.app.path, 'env'];
}

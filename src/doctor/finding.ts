/** What the doctor reports: one finding per problem, pointing at an object and a field. */
import { describe, formatPath, lineOf, type FieldPath, type K8sObject } from './manifest.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  /** Stable rule id, as in the README's table (`budget.grace-period`, …). */
  rule: string;
  /** `Deployment/shop/api`. */
  object: string;
  container: string | undefined;
  file: string;
  line: number | undefined;
  /** Field path inside the object, `spec.template.spec.terminationGracePeriodSeconds`. */
  path: string;
  message: string;
  /** The numbers behind the finding, written out. */
  arithmetic: string | undefined;
  fix: string | undefined;
}

export interface FindingText {
  message: string;
  arithmetic?: string;
  fix?: string;
}

/** Builds a finding about `path` of `object` (and of a container, when it concerns one). */
export function finding(severity: Severity, rule: string, object: K8sObject, path: FieldPath, text: FindingText, container?: string): Finding {
  return {
    severity,
    rule,
    object: describe(object),
    container,
    file: object.file,
    line: lineOf(object, path),
    path: formatPath(path),
    message: text.message,
    arithmetic: text.arithmetic,
    fix: text.fix,
  };
}

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

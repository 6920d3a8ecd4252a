/** What the doctor reports: one finding per problem, pointing at an object and a field. */
import { describe, formatPath, lineOf, type FieldPath, type K8sObject } from './manifest.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  /** Stable rule id, as in the README's table (`budget.grace-period`, …). */
  rule: string;
  /** `Deployment/shop/api`: the object that holds the field. */
  object: string;
  /** The workload the finding is about (the same as `object`, or the one a Service routes to). */
  workload: string;
  container: string;
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

/** Builds a finding about `path` of `object`, concerning a container of a workload. */
export function finding(severity: Severity, rule: string, object: K8sObject, path: FieldPath, text: FindingText, about: { workload: K8sObject; container: string }): Finding {
  return {
    severity,
    rule,
    object: describe(object),
    workload: describe(about.workload),
    container: about.container,
    file: object.file,
    line: lineOf(object, path),
    path: formatPath(path),
    message: text.message,
    arithmetic: text.arithmetic,
    fix: text.fix,
  };
}

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** Who a finding concerns: the container's workload and name. */
export const concerning = (app: { workload: { object: K8sObject }; name: string }) => ({ workload: app.workload.object, container: app.name });

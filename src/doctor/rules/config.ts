/**
 * The configuration itself: what the preload would refuse at startup (exit 78), and values the
 * doctor could not read (Secrets, field references, ConfigMaps outside the input).
 */
import type { ConfigError } from '../../config.js';
import type { AppContainer } from '../container.js';
import { concerning, finding, type Finding } from '../finding.js';

export function configRules(app: AppContainer): Finding[] {
  const at = (path: Parameters<typeof finding>[3]) => [app.workload.object, path] as const;
  const unread = app.unread.map((value) =>
    finding('info', 'env.unread', ...at(value.path), { message: value.reason, fix: 'check that value by hand, or pass the ConfigMap to the doctor too' }, concerning(app)),
  );
  if (!(app.config instanceof Error)) return unread;
  const error: ConfigError = app.config;
  return [
    ...unread,
    ...error.problems.map((problem) =>
      finding('error', 'config.invalid', ...at(pathOfProblem(app, problem)), {
        message: `graceful-otel refuses to start (exit 78 before serving): ${problem}`,
        fix: problem.includes('budget') ? 'shorten a part or raise GRACEFUL_OTEL_GRACE_PERIOD, and terminationGracePeriodSeconds with it' : 'correct the value (the message says what is accepted)',
      }, concerning(app)),
    ),
  ];
}

/** The env entry a problem names, or the container's env list. */
function pathOfProblem(app: AppContainer, problem: string): readonly (string | number)[] {
  const named = Object.keys(app.envPaths).find((name) => problem.startsWith(`${name}=`));
  return named !== undefined ? (app.envPaths[named] ?? []) : [...app.path, 'env'];
}

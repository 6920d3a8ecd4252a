/**
 * PM2 (pm2-runtime in containers) sends SIGINT, then SIGKILL after `kill_timeout` (default
 * 1600 ms): shorter than the budget, it kills the app in the middle of its shutdown.
 */
import { asString, sameNamespace, stringMap, type FieldPath } from '../manifest.js';
import { ms, setting, type Check, type Rule } from './check.js';

const PM2_DEFAULT_KILL_TIMEOUT_MS = 1600;
const KILL_TIMEOUT_FLAG = /--kill-timeout(?:=|\s+)(\d+)/;
const KILL_TIMEOUT_KEY = /["']?kill_timeout["']?\s*:\s*(\d+)/;

export const processManagerRules: Rule = (check) => {
  const { app, config } = check;
  const line = app.argv.join(' ');
  if (!/(?:^|[\s/])pm2(?:-runtime|-docker)?(?:\s|$)/.test(line)) return [];
  const { valueMs, where, path } = killTimeout(check, line);
  const neededMs = config.gracePeriodMs - config.safetyMarginMs;
  if (valueMs >= neededMs) return [];
  return [
    check.report('error', 'pm2.kill-timeout', path, {
      message: `PM2 SIGKILLs the app ${ms(valueMs)} after its SIGINT, in the middle of graceful-otel's shutdown`,
      arithmetic: `kill_timeout ${ms(valueMs)} (${where}) < ${setting(check, 'GRACEFUL_OTEL_GRACE_PERIOD', 'grace period', config.gracePeriodMs)} − ${setting(check, 'GRACEFUL_OTEL_SAFETY_MARGIN', 'safety margin', config.safetyMarginMs)} = ${ms(neededMs)}`,
      fix: `set kill_timeout: ${neededMs} in the ecosystem file (or pm2-runtime --kill-timeout ${neededMs}), or run node directly`,
    }),
  ];
};

/** From the command line, else from an ecosystem file in a ConfigMap of the input, else PM2's default. */
function killTimeout({ app, objects }: Check, line: string): { valueMs: number; where: string; path: FieldPath } {
  const argvPath = [...app.path, app.container.command !== undefined ? 'command' : 'args'];
  const flag = KILL_TIMEOUT_FLAG.exec(line);
  if (flag) return { valueMs: Number(flag[1]), where: '--kill-timeout', path: argvPath };
  for (const configMap of sameNamespace(objects, 'ConfigMap', app.workload.object)) {
    for (const [key, text] of Object.entries(stringMap(configMap.body.data))) {
      const match = KILL_TIMEOUT_KEY.exec(text);
      if (match) return { valueMs: Number(match[1]), where: `ConfigMap ${asString(configMap.name)} ${key}`, path: argvPath };
    }
  }
  return { valueMs: PM2_DEFAULT_KILL_TIMEOUT_MS, where: "PM2's default", path: argvPath };
}

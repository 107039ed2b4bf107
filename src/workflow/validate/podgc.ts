// spec.podGC: the strategy (Argo's message), the label selector (as Kubernetes validates a
// LabelSelector) and deleteDelayDuration (seconds or a Go duration, as Argo's ParseStringToDuration).
import { labelValue, qualifiedName } from '../../model/validation.js';
import { DURATION_HINT, isSecondsOrDuration } from './durations.js';
import type { SpecContext } from './types.js';
import { child, isObject, report } from './types.js';

const STRATEGIES = ['OnPodCompletion', 'OnPodSuccess', 'OnWorkflowCompletion', 'OnWorkflowSuccess'];
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function checkPodGC(sc: SpecContext, podGC: unknown, path: string): void {
  if (podGC === undefined || podGC === null) return;
  if (!isObject(podGC)) {
    report(sc, path, 'podGC must be an object with strategy, labelSelector and deleteDelayDuration');
    return;
  }
  const strategy = podGC.strategy;
  if (strategy !== undefined && strategy !== '' && !STRATEGIES.includes(strategy as string)) {
    report(sc, child(path, 'strategy'), `podGC.strategy unknown strategy '${String(strategy)}' (one of: ${STRATEGIES.join(', ')})`);
  }
  const delay = podGC.deleteDelayDuration;
  if (delay !== undefined && delay !== '' && (typeof delay !== 'string' || !isSecondsOrDuration(delay))) {
    report(sc, child(path, 'deleteDelayDuration'), `podGC.deleteDelayDuration ${JSON.stringify(delay)} is not a duration: ${DURATION_HINT}`);
  }
  checkLabelSelector(sc, podGC.labelSelector, child(path, 'labelSelector'));
}

function checkLabelSelector(sc: SpecContext, sel: unknown, path: string): void {
  if (sel === undefined || sel === null) return;
  const say = (p: string, m: string) => report(sc, p, `podGC.labelSelector invalid: ${m}`);
  if (!isObject(sel)) return say(path, 'expected an object with matchLabels and/or matchExpressions');
  const labels = sel.matchLabels;
  if (labels !== undefined && labels !== null) {
    if (!isObject(labels)) say(child(path, 'matchLabels'), 'matchLabels must be a map of label names to values');
    else {
      for (const [k, v] of Object.entries(labels)) {
        for (const e of qualifiedName(k)) say(child(child(path, 'matchLabels'), k), `key "${k}": ${e}`);
        if (typeof v !== 'string') say(child(child(path, 'matchLabels'), k), `value of "${k}" must be a string, got ${JSON.stringify(v)}`);
        else for (const e of labelValue(v)) say(child(child(path, 'matchLabels'), k), `value "${v}": ${e}`);
      }
    }
  }
  const exprs = sel.matchExpressions;
  if (exprs === undefined || exprs === null) return;
  if (!Array.isArray(exprs)) return say(child(path, 'matchExpressions'), 'matchExpressions must be a list of {key, operator, values}');
  exprs.forEach((e, i) => {
    const p = child(child(path, 'matchExpressions'), i);
    if (!isObject(e)) return say(p, 'expected {key, operator, values}');
    if (typeof e.key !== 'string' || !e.key) say(child(p, 'key'), 'key is required');
    else for (const m of qualifiedName(e.key)) say(child(p, 'key'), `key "${e.key}": ${m}`);
    const op = e.operator;
    if (!OPERATORS.includes(op as string)) {
      return say(child(p, 'operator'), `${JSON.stringify(op ?? '')} is not a valid label selector operator (one of: ${OPERATORS.join(', ')})`);
    }
    const values = e.values;
    if (values !== undefined && values !== null && (!Array.isArray(values) || values.some((v) => typeof v !== 'string'))) {
      return say(child(p, 'values'), 'values must be a list of strings');
    }
    const n = Array.isArray(values) ? values.length : 0;
    if ((op === 'In' || op === 'NotIn') && n === 0) say(child(p, 'values'), `values must be non-empty for operator ${op as string}`);
    if ((op === 'Exists' || op === 'DoesNotExist') && n > 0) say(child(p, 'values'), `values must be empty for operator ${op as string}`);
  });
}

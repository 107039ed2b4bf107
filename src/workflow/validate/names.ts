// Name rules: Kubernetes object names and Argo's rules for template, step, task, parameter and artifact names.
import { MSG_DNS1123_SUBDOMAIN } from '../../model/validation.js';
import type { ObjectMeta } from '../../model/object.js';
import type { ValidationIssue } from './types.js';
import { child } from './types.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const FIELD_NAME = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;
const PARAM_NAME = /^[-a-zA-Z0-9_]+$/;
const FIELD_NAME_MAX = 128;

export const MSG_FIELD_NAME =
  "name must consist of alpha-numeric characters or '-', and must start with an alpha-numeric character (e.g. My-name1-2, 123-NAME)";
export const MSG_PARAM_NAME =
  "Parameter/Artifact name must consist of alpha-numeric characters, '_' or '-' e.g. my_param_1, MY-PARAM-1";

/** Template, step and task names. */
export function fieldNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > FIELD_NAME_MAX) errs.push(`must be no more than ${FIELD_NAME_MAX} characters`);
  if (!FIELD_NAME.test(name)) errs.push(MSG_FIELD_NAME);
  return errs;
}

export function paramNameErrors(name: string): string[] {
  return PARAM_NAME.test(name) ? [] : [MSG_PARAM_NAME];
}

/**
 * Checks a list of named things (templates, parameters, artifacts, tasks): each has a name, the name is
 * valid and unique. Returns the names in order (with undefined for missing ones).
 */
export function checkNamedList(
  list: unknown,
  path: string,
  kind: 'field' | 'param',
  issues: ValidationIssue[],
): (string | undefined)[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    issues.push({ path, message: 'must be a list' });
    return [];
  }
  const seen = new Set<string>();
  return list.map((item, i) => {
    const at = child(path, i);
    const name = (item as { name?: unknown } | null)?.name;
    if (name === undefined || name === null || name === '') {
      issues.push({ path: child(at, 'name'), message: 'name is required' });
      return undefined;
    }
    const s = String(name);
    const errs = kind === 'param' ? paramNameErrors(s) : fieldNameErrors(s);
    if (errs.length > 0) issues.push({ path: child(at, 'name'), message: `name '${s}' is invalid: ${errs.join('; ')}` });
    if (seen.has(s)) issues.push({ path: child(at, 'name'), message: `name '${s}' is not unique` });
    seen.add(s);
    return s;
  });
}

/** metadata.name / metadata.generateName of a Workflow-like object; `max` is 63 (52 for CronWorkflows). */
export function checkObjectName(meta: ObjectMeta | undefined, max: number, issues: ValidationIssue[], requireName = true): void {
  const name = meta?.name;
  const generateName = meta?.generateName;
  if (!name && !generateName) {
    if (!requireName) return;
    issues.push({ path: 'metadata.name', message: 'name or generateName is required' });
    return;
  }
  if (name) {
    if (name.length > max) issues.push({ path: 'metadata.name', message: `must be no more than ${max} characters (currently ${name.length})` });
    if (!DNS1123_SUBDOMAIN.test(name)) issues.push({ path: 'metadata.name', message: `Invalid value: ${JSON.stringify(name)}: ${MSG_DNS1123_SUBDOMAIN}` });
  } else if (generateName) {
    // Kubernetes checks the prefix as if a suffix followed, so a trailing '-' is fine.
    const prefix = generateName.replace(/-+$/, '') || 'a';
    if (!DNS1123_SUBDOMAIN.test(prefix)) {
      issues.push({ path: 'metadata.generateName', message: `Invalid value: ${JSON.stringify(generateName)}: ${MSG_DNS1123_SUBDOMAIN}` });
    }
  }
}

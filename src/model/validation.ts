// Name and label validation with Kubernetes' rules and wording, so messages match what kubectl users know.
import type { StatusCause } from './errors.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const MSG_DNS1123_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
export const MSG_DNS1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const MSG_QUALIFIED_NAME =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const MSG_LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Returns the problems with a value as Kubernetes phrases them; empty when valid. */
export function dns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) errs.push(MSG_DNS1123_SUBDOMAIN);
  return errs;
}

export function dns1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) errs.push(MSG_DNS1123_LABEL);
  return errs;
}

/**
 * Keys and label values seen valid: every write of a Pod, task result or Workflow carries the same
 * few keys (`workflows.argoproj.io/…`) and values, and checking them again showed in every write.
 */
const validKeys = new Set<string>();
const validValues = new Set<string>();

function remembered(set: Set<string>, value: string, errs: string[]): string[] {
  if (errs.length) return errs;
  if (set.size >= 10_000) set.clear();
  set.add(value);
  return errs;
}

/** A label or annotation key: optional DNS-subdomain prefix and a qualified name. */
export function qualifiedName(value: string): string[] {
  if (validKeys.has(value)) return [];
  return remembered(validKeys, value, qualifiedNameErrors(value));
}

function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const [prefix, n] = parts;
    name = n;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const e of dns1123Subdomain(prefix)) errs.push(`prefix part ${e}`);
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) errs.push(MSG_QUALIFIED_NAME);
  return errs;
}

export function labelValue(value: string): string[] {
  if (validValues.has(value)) return [];
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) errs.push(MSG_LABEL_VALUE);
  return remembered(validValues, value, errs);
}

/** Kubernetes' field error form: `Invalid value: "x": message`. */
export function invalidValue(field: string, value: unknown, message: string): StatusCause {
  return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${message}` };
}

export function required(field: string, message = 'Required value'): StatusCause {
  return { field, reason: 'FieldValueRequired', message };
}

export function validateLabels(labels: unknown, field = 'metadata.labels'): StatusCause[] {
  const causes: StatusCause[] = [];
  if (labels === undefined || labels === null) return causes;
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    return [{ field, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a map of string keys to string values' }];
  }
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    for (const e of qualifiedName(key)) causes.push(invalidValue(field, key, e));
    if (typeof value !== 'string') {
      causes.push({ field: `${field}.${key}`, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${JSON.stringify(value)}: label values must be strings` });
      continue;
    }
    for (const e of labelValue(value)) causes.push(invalidValue(field, value, e));
  }
  return causes;
}

export function validateAnnotations(annotations: unknown, field = 'metadata.annotations'): StatusCause[] {
  const causes: StatusCause[] = [];
  if (annotations === undefined || annotations === null) return causes;
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    return [{ field, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a map of string keys to string values' }];
  }
  let total = 0;
  for (const [key, value] of Object.entries(annotations as Record<string, unknown>)) {
    for (const e of qualifiedName(key.toLowerCase())) causes.push(invalidValue(field, key, e));
    if (typeof value !== 'string') {
      causes.push({ field: `${field}.${key}`, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${JSON.stringify(value)}: annotation values must be strings` });
    } else total += key.length + value.length;
  }
  if (total > 256 * 1024) causes.push({ field, reason: 'FieldValueTooLong', message: 'Too long: must have at most 262144 bytes' });
  return causes;
}

// Checks of one template on its own: its type, inputs, outputs and type-specific fields.
import { yaml } from '../../model/yaml-lib.js';
import type { Artifact, Parameter, Template } from '../../model/argo.js';
import { checkNamedList, paramNameErrors } from './names.js';
import { DURATION_HINT, intOrTemplate, isGoDuration, isSecondsOrDuration } from './durations.js';
import { Scope, hasTag } from './scope.js';
import type { SpecContext } from './types.js';
import { child, isObject, report } from './types.js';

export const TEMPLATE_TYPES = ['container', 'containerSet', 'steps', 'script', 'resource', 'dag', 'suspend', 'data', 'http', 'plugin'] as const;
export type TemplateType = (typeof TEMPLATE_TYPES)[number];

const LEAF_POD_TYPES: TemplateType[] = ['container', 'containerSet', 'script', 'resource'];

export function templateTypes(tmpl: Template): TemplateType[] {
  return TEMPLATE_TYPES.filter((t) => tmpl[t] !== undefined && tmpl[t] !== null);
}

export function templateType(tmpl: Template): TemplateType | undefined {
  const types = templateTypes(tmpl);
  return types.length === 1 ? types[0] : undefined;
}

export function isLeaf(tmpl: Template): boolean {
  const t = templateType(tmpl);
  return t !== undefined && t !== 'steps' && t !== 'dag';
}

/** Whether `{{steps.X.outputs.result}}` / `exitCode` exist for a node of this template. */
export function hasResult(tmpl: Template): boolean {
  const t = templateType(tmpl);
  return t === 'container' || t === 'script' || t === 'containerSet' || t === 'data' || t === 'http' || t === 'plugin';
}

const RETRY_POLICIES = ['Always', 'OnFailure', 'OnError', 'OnTransientError'];
const RESOURCE_ACTIONS = ['get', 'create', 'apply', 'delete', 'replace', 'patch'];

function hasArtifactLocation(a: Artifact): boolean {
  return ['s3', 'git', 'http', 'artifactory', 'hdfs', 'raw', 'oss', 'gcs', 'azure', 'plugin'].some((k) => a[k] !== undefined);
}

export function artifactHasSource(a: Artifact): boolean {
  return Boolean(a.from || a.fromExpression || hasArtifactLocation(a) || a.optional);
}

/** Variables a template can use about itself: its inputs, pod name, retries, output paths. */
export function templateScope(tmpl: Template, globals: Scope): Scope {
  const scope = globals.clone();
  const leaf = isLeaf(tmpl);
  const params = tmpl.inputs?.parameters ?? [];
  for (const p of params) if (p?.name) scope.add(`inputs.parameters.${p.name}`);
  if (params.length > 0) scope.add('inputs.parameters');
  for (const a of tmpl.inputs?.artifacts ?? []) {
    if (!a?.name) continue;
    scope.add(`inputs.artifacts.${a.name}`);
    if (leaf) scope.add(`inputs.artifacts.${a.name}.path`);
  }
  const t = templateType(tmpl);
  if (t && LEAF_POD_TYPES.includes(t)) scope.add('pod.name');
  if (tmpl.retryStrategy) scope.add('retries', 'lastRetry.exitCode', 'lastRetry.status', 'lastRetry.duration', 'lastRetry.message');
  return scope;
}

function checkVolumeMounts(sc: SpecContext, tmpl: Template, path: string): void {
  const known = new Set<string>();
  for (const v of [...(sc.spec.volumes ?? []), ...(tmpl.volumes ?? []), ...(sc.spec.templateDefaults?.volumes ?? [])]) {
    if (isObject(v) && typeof v.name === 'string') known.add(v.name);
  }
  for (const c of sc.spec.volumeClaimTemplates ?? []) if (c?.metadata?.name) known.add(c.metadata.name);
  const check = (mounts: unknown, at: string): void => {
    if (!Array.isArray(mounts)) return;
    const paths = new Map<string, string>();
    mounts.forEach((m, i) => {
      if (!isObject(m)) return;
      const name = m.name;
      const mp = child(at, i);
      if (typeof name === 'string' && !hasTag(name) && !known.has(name)) {
        report(sc, child(mp, 'name'), `volume '${name}' not found: declare it in spec.volumes, the template's volumes or spec.volumeClaimTemplates${known.size ? ` (declared: ${[...known].join(', ')})` : ''}`);
      }
      if (typeof m.mountPath === 'string') {
        const prev = paths.get(m.mountPath);
        if (prev !== undefined) report(sc, child(mp, 'mountPath'), `mountPath '${m.mountPath}' already mounted in volumeMounts.${prev}`);
        else paths.set(m.mountPath, String(name));
      }
    });
  };
  const containers: [unknown, string][] = [];
  if (tmpl.container) containers.push([tmpl.container, child(path, 'container')]);
  if (tmpl.script) containers.push([tmpl.script, child(path, 'script')]);
  (tmpl.containerSet?.containers ?? []).forEach((c, i) => containers.push([c, `${path}.containerSet.containers[${i}]`]));
  (tmpl.sidecars ?? []).forEach((c, i) => containers.push([c, `${path}.sidecars[${i}]`]));
  (tmpl.initContainers ?? []).forEach((c, i) => containers.push([c, `${path}.initContainers[${i}]`]));
  for (const [c, at] of containers) if (isObject(c)) check(c.volumeMounts, child(at, 'volumeMounts'));
  if (tmpl.containerSet) check(tmpl.containerSet.volumeMounts, `${path}.containerSet.volumeMounts`);
}

function checkOutputParameter(sc: SpecContext, tmpl: Template, p: Parameter, path: string): void {
  if (!isObject(p)) return;
  if (p.valueFrom !== undefined && p.value !== undefined) {
    report(sc, path, `output parameter '${p.name}' has both valueFrom and value specified. Choose one.`);
    return;
  }
  if (p.value !== undefined) return;
  if (!isObject(p.valueFrom)) {
    report(sc, path, `output parameter '${p.name}' does not have valueFrom or value specified`);
    return;
  }
  const vf = p.valueFrom;
  const kinds = (['path', 'jqFilter', 'jsonPath', 'parameter', 'expression'] as const).filter((k) => vf[k]);
  const n = kinds.length + (vf.supplied !== undefined ? 1 : 0) + (vf.configMapKeyRef !== undefined ? 1 : 0) + (vf.event ? 1 : 0);
  const vpath = child(path, 'valueFrom');
  if (n === 0 && vf.default === undefined) {
    report(sc, vpath, 'valueFrom type unspecified. choose one of: path, jqFilter, jsonPath, parameter, raw, expression');
    return;
  }
  if (n > 1) {
    report(sc, vpath, 'multiple valueFrom types specified. choose one of: path, jqFilter, jsonPath, parameter, raw');
    return;
  }
  const t = templateType(tmpl);
  if ((t === 'container' || t === 'containerSet' || t === 'script') && !vf.path) {
    report(sc, child(vpath, 'path'), `valueFrom.path must be specified for ${t} templates`);
  } else if (t === 'resource' && !vf.jqFilter && !vf.jsonPath) {
    report(sc, vpath, 'valueFrom.jqFilter or jsonPath must be specified for resource templates');
  } else if ((t === 'dag' || t === 'steps') && !vf.parameter && !vf.expression) {
    report(sc, vpath, `valueFrom.parameter or expression must be specified for ${t} templates`);
  }
}

function checkGlobalName(sc: SpecContext, g: unknown, path: string): void {
  if (typeof g !== 'string' || g === '' || hasTag(g)) return;
  const errs = paramNameErrors(g);
  if (errs.length) report(sc, child(path, 'globalName'), `globalName '${g}' is invalid: ${errs[0]}`);
}

export function checkRetryStrategy(sc: SpecContext, rs: unknown, path: string): void {
  if (!isObject(rs)) return;
  if (rs.retryPolicy !== undefined && !RETRY_POLICIES.includes(String(rs.retryPolicy))) {
    report(sc, child(path, 'retryPolicy'), `${String(rs.retryPolicy)} is not a valid RetryPolicy (one of: ${RETRY_POLICIES.join(', ')})`);
  }
  if (rs.limit !== undefined && rs.limit !== null) {
    const n = intOrTemplate(rs.limit);
    if (!n.ok || (n.value !== undefined && n.value < 0)) {
      report(sc, child(path, 'limit'), `limit must be a non-negative integer or a {{…}} variable, got ${JSON.stringify(rs.limit)}`);
    }
  }
  if (rs.backoff !== undefined && rs.backoff !== null) {
    const b = rs.backoff;
    const bpath = child(path, 'backoff');
    if (!isObject(b)) {
      report(sc, bpath, 'backoff must be an object with duration, factor, cap and maxDuration');
      return;
    }
    if (b.duration === undefined || b.duration === '') report(sc, bpath, 'no base duration specified for retryStrategy');
    for (const k of ['duration', 'cap', 'maxDuration']) {
      const v = b[k];
      if (v !== undefined && v !== '' && !hasTag(v) && !isSecondsOrDuration(v)) report(sc, child(bpath, k), `invalid duration ${JSON.stringify(v)}: ${DURATION_HINT}`);
    }
    if (b.factor !== undefined && !hasTag(b.factor) && !Number.isFinite(Number(b.factor))) {
      report(sc, child(bpath, 'factor'), `factor must be a number, got ${JSON.stringify(b.factor)}`);
    }
  }
}

/** Replaces every `{{…}}` with a plain word so a manifest with variables can be parsed. */
function withPlaceholders(s: string): string {
  let i = 0;
  return s.replace(/\{\{[\s\S]*?\}\}/g, () => `placeholder-${i++}`);
}

function checkResource(sc: SpecContext, tmpl: Template, path: string): void {
  const r = tmpl.resource;
  if (!isObject(r)) return;
  const rp = child(path, 'resource');
  const action = r.action;
  if (typeof action !== 'string' || (!hasTag(action) && !RESOURCE_ACTIONS.includes(action))) {
    report(sc, child(rp, 'action'), `action must be one of: ${RESOURCE_ACTIONS.join(', ')}`);
  }
  if (action === 'delete' || action === 'get') return;
  if (!r.manifest && !r.manifestFrom) {
    report(sc, rp, 'either resource.manifest or resource.manifestFrom must be specified');
    return;
  }
  if (r.manifest && r.manifestFrom) report(sc, rp, 'shouldn\'t have both `manifest` and `manifestFrom` specified in `Manifest` for resource template');
  const art = (r.manifestFrom as { artifact?: { name?: string } } | undefined)?.artifact;
  if (art?.name && !(tmpl.inputs?.artifacts ?? []).some((a) => a?.name === art.name)) {
    report(sc, `${rp}.manifestFrom.artifact.name`, `artifact ${art.name} in \`manifestFrom\` refer to a non-exist artifact`);
  }
  if (typeof r.manifest === 'string') {
    const docs = yaml().parseAllDocuments(withPlaceholders(r.manifest));
    const bad = Array.from(docs).find((d) => d.errors.length > 0);
    if (bad) report(sc, child(rp, 'manifest'), `resource.manifest must be a valid yaml: ${bad.errors[0].message.split('\n')[0]}`);
  }
}

function imageDefaulted(sc: SpecContext, kind: 'container' | 'script'): boolean {
  const d = sc.spec.templateDefaults?.[kind] as { image?: string } | undefined;
  return Boolean(d?.image);
}

/** Checks of a single template that do not depend on where it is called from. */
export function checkTemplate(sc: SpecContext, tmpl: Template, path: string): void {
  if (!isObject(tmpl)) {
    report(sc, path, 'template must be an object');
    return;
  }
  const types = templateTypes(tmpl);
  if (types.length === 0) {
    report(sc, path, `template type unspecified. choose one of: ${TEMPLATE_TYPES.join(', ')}`);
  } else if (types.length > 1) {
    report(sc, path, `multiple template types specified (${types.join(', ')}). choose one of: ${TEMPLATE_TYPES.join(', ')}`);
  }
  const t = types.length === 1 ? types[0] : undefined;
  const leaf = isLeaf(tmpl);

  // Inputs.
  checkNamedList(tmpl.inputs?.parameters, `${path}.inputs.parameters`, 'param', sc.issues);
  checkNamedList(tmpl.inputs?.artifacts, `${path}.inputs.artifacts`, 'param', sc.issues);
  (tmpl.inputs?.parameters ?? []).forEach((p, i) => {
    if (!isObject(p) || !Array.isArray(p.enum)) return;
    const at = `${path}.inputs.parameters[${i}]`;
    if (p.enum.length === 0) report(sc, child(at, 'enum'), `${p.name}.enum should contain at least one value`);
    for (const k of ['value', 'default'] as const) {
      const v = p[k];
      if (v !== undefined && !hasTag(v) && p.enum.length > 0 && !p.enum.map(String).includes(String(v))) {
        report(sc, child(at, k), `${k} '${String(v)}' should be present in the enum list (${p.enum.map(String).join(', ')})`);
      }
    }
  });
  (tmpl.inputs?.artifacts ?? []).forEach((a, i) => {
    if (!isObject(a)) return;
    const at = `${path}.inputs.artifacts[${i}]`;
    if (!leaf && t && a.path) report(sc, child(at, 'path'), `inputs.artifacts.${a.name}.path only valid in container/script templates`);
    if (a.from) report(sc, child(at, 'from'), `inputs.artifacts.${a.name}.from not valid in inputs`);
    if (isObject(a.git) && !a.git.repo) report(sc, `${at}.git.repo`, `inputs.artifacts.${a.name}.git.repo is required`);
  });

  // Outputs.
  checkNamedList(tmpl.outputs?.parameters, `${path}.outputs.parameters`, 'param', sc.issues);
  checkNamedList(tmpl.outputs?.artifacts, `${path}.outputs.artifacts`, 'param', sc.issues);
  (tmpl.outputs?.parameters ?? []).forEach((p, i) => {
    const at = `${path}.outputs.parameters[${i}]`;
    checkOutputParameter(sc, tmpl, p, at);
    checkGlobalName(sc, p?.globalName, at);
  });
  (tmpl.outputs?.artifacts ?? []).forEach((a, i) => {
    if (!isObject(a)) return;
    const at = `${path}.outputs.artifacts[${i}]`;
    if (!leaf && t && a.path) report(sc, child(at, 'path'), `outputs.artifacts.${a.name}.path only valid in container/script templates`);
    checkGlobalName(sc, a.globalName, at);
  });

  // Leaf-only and non-leaf-only fields.
  if (t && !leaf) {
    if (tmpl.activeDeadlineSeconds !== undefined) report(sc, child(path, 'activeDeadlineSeconds'), 'activeDeadlineSeconds is only valid for leaf templates');
    if (tmpl.timeout !== undefined) report(sc, child(path, 'timeout'), `${t} template doesn't support timeout field.`);
  }
  if (leaf && tmpl.parallelism !== undefined) report(sc, child(path, 'parallelism'), 'parallelism is only valid for steps and dag templates');
  if (tmpl.activeDeadlineSeconds !== undefined) {
    const n = intOrTemplate(tmpl.activeDeadlineSeconds);
    if (!n.ok || (n.value !== undefined && n.value < 0)) report(sc, child(path, 'activeDeadlineSeconds'), 'activeDeadlineSeconds must be a positive integer > 0 or an argo variable');
  }
  if (tmpl.parallelism !== undefined && !leaf) {
    const n = intOrTemplate(tmpl.parallelism);
    if (!n.ok || (n.value !== undefined && n.value < 0)) report(sc, child(path, 'parallelism'), 'parallelism must be a non-negative integer');
  }
  if (typeof tmpl.timeout === 'string' && leaf && !hasTag(tmpl.timeout) && !isGoDuration(tmpl.timeout)) {
    report(sc, child(path, 'timeout'), `${tmpl.name ?? 'template'} has invalid duration format in timeout: ${DURATION_HINT.replace('use a number of seconds or ', 'use ')}`);
  }
  checkRetryStrategy(sc, tmpl.retryStrategy, child(path, 'retryStrategy'));

  (tmpl.initContainers ?? []).forEach((c, i) => {
    if (!isObject(c) || !c.name) report(sc, `${path}.initContainers[${i}].name`, 'initContainers must all have container name');
  });

  if (t === 'container' && isObject(tmpl.container) && !tmpl.container.image && !imageDefaulted(sc, 'container')) {
    report(sc, `${path}.container.image`, 'container.image may not be empty');
  }
  if (t === 'script' && isObject(tmpl.script) && !tmpl.script.image && !imageDefaulted(sc, 'script')) {
    report(sc, `${path}.script.image`, 'script.image may not be empty');
  }
  if (t === 'containerSet' && isObject(tmpl.containerSet)) {
    const cs = tmpl.containerSet;
    const containers = Array.isArray(cs.containers) ? cs.containers : [];
    if (containers.length === 0) report(sc, `${path}.containerSet.containers`, 'containerSet must have at least one container');
    const names = checkNamedList(containers, `${path}.containerSet.containers`, 'field', sc.issues);
    containers.forEach((c, i) => {
      (c?.dependencies ?? []).forEach((d, j) => {
        if (!names.includes(d)) report(sc, `${path}.containerSet.containers[${i}].dependencies[${j}]`, `dependency '${d}' not defined`);
      });
    });
    const io = (tmpl.inputs?.artifacts?.length ?? 0) + (tmpl.outputs?.parameters?.length ?? 0) + (tmpl.outputs?.artifacts?.length ?? 0);
    if (io > 0 && !names.includes('main')) report(sc, `${path}.containerSet.containers`, 'containerSet.containers must have a container named "main" for input or output');
  }
  if (t === 'resource') checkResource(sc, tmpl, path);
  if (t === 'suspend' && isObject(tmpl.suspend)) {
    const d = tmpl.suspend.duration;
    if (d !== undefined && d !== '' && !hasTag(d) && !isSecondsOrDuration(d)) {
      report(sc, `${path}.suspend.duration`, `invalid duration ${JSON.stringify(d)}: ${DURATION_HINT}`);
    }
  }
  if (t === 'http' && isObject(tmpl.http) && !tmpl.http.url) report(sc, `${path}.http.url`, 'http.url is required');
  checkVolumeMounts(sc, tmpl, path);
}

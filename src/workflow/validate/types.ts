// Shared shapes of the workflow validator.
import type { Template, WorkflowSpec, WorkflowTemplate } from '../../model/argo.js';

/** One problem, located by a field path such as `spec.templates[2].dag.tasks[0].depends`. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Where `workflowTemplateRef` and `templateRef` targets are looked up. */
export interface ValidateContext {
  getWorkflowTemplate(name: string, namespace?: string): WorkflowTemplate | undefined;
  getClusterWorkflowTemplate(name: string): WorkflowTemplate | undefined;
}

export interface ValidateOptions {
  /** Linting: spec.arguments may lack values (they come at submit time). */
  lint?: boolean;
  /** Submitting: a (Cluster)WorkflowTemplate's spec.arguments must have values too. */
  submit?: boolean;
}

/** An empty context: no templates exist. */
export const NO_TEMPLATES: ValidateContext = {
  getWorkflowTemplate: () => undefined,
  getClusterWorkflowTemplate: () => undefined,
};

/** A template together with where it lives, for error paths. */
export interface Located {
  tmpl: Template;
  path: string;
}

/** Everything the checks of one workflow spec share. */
export interface SpecContext {
  ctx: ValidateContext;
  opts: ValidateOptions;
  namespace?: string;
  spec: WorkflowSpec;
  /** `spec` for Workflows and templates, `spec.workflowSpec` for CronWorkflows. */
  specPath: string;
  templates: Map<string, Located>;
  /** Validating a (Cluster)WorkflowTemplate on its own: workflow parameters may come from the caller. */
  templateValidation: boolean;
  /** The template being validated belongs to a ClusterWorkflowTemplate. */
  clusterScope: boolean;
  issues: ValidationIssue[];
  /** Global variables ({{workflow.*}}) available everywhere. */
  globals: import('./scope.js').Scope;
}

export function report(sc: { issues: ValidationIssue[] }, path: string, message: string): void {
  sc.issues.push({ path, message });
}

/** `base.key`, or `base["key"]` when the key is not a plain identifier. */
export function child(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (/^[A-Za-z0-9_-]+$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}["${key}"]`;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Argo Workflows object shapes (argoproj.io/v1alpha1), v3 and v4 field names both accepted.
// Only the fields Argosy reads are typed; everything else passes through untouched.
import type { KObject, ObjectMeta } from './object.js';

export type NodePhase = 'Pending' | 'Running' | 'Succeeded' | 'Skipped' | 'Failed' | 'Error' | 'Omitted';
export type WorkflowPhase = '' | 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error';
export type NodeType =
  | 'Pod'
  | 'Container'
  | 'Steps'
  | 'StepGroup'
  | 'DAG'
  | 'TaskGroup'
  | 'Retry'
  | 'Skipped'
  | 'Suspend'
  | 'HTTP'
  | 'Plugin';

export interface ValueFrom {
  path?: string;
  jsonPath?: string;
  jqFilter?: string;
  event?: string;
  parameter?: string;
  expression?: string;
  supplied?: Record<string, never>;
  default?: string;
  configMapKeyRef?: { name: string; key: string; optional?: boolean };
}

export interface Parameter {
  name: string;
  value?: unknown;
  default?: unknown;
  enum?: unknown[];
  description?: string;
  globalName?: string;
  valueFrom?: ValueFrom;
}

export interface ArchiveStrategy {
  tar?: { compressionLevel?: number };
  none?: Record<string, never>;
  zip?: Record<string, never>;
}

export interface Artifact {
  name: string;
  path?: string;
  from?: string;
  fromExpression?: string;
  optional?: boolean;
  mode?: number;
  subPath?: string;
  globalName?: string;
  archive?: ArchiveStrategy;
  archiveLogs?: boolean;
  deleted?: boolean;
  recurseMode?: boolean;
  raw?: { data: string };
  http?: { url: string; headers?: { name: string; value: string }[] };
  s3?: { key?: string; bucket?: string; endpoint?: string; [k: string]: unknown };
  git?: Record<string, unknown>;
  gcs?: Record<string, unknown>;
  oss?: Record<string, unknown>;
  azure?: Record<string, unknown>;
  hdfs?: Record<string, unknown>;
  artifactory?: Record<string, unknown>;
  plugin?: Record<string, unknown>;
  artifactGC?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Inputs {
  parameters?: Parameter[];
  artifacts?: Artifact[];
}

export interface Outputs {
  parameters?: Parameter[];
  artifacts?: Artifact[];
  result?: string;
  exitCode?: string;
}

export interface Arguments {
  parameters?: Parameter[];
  artifacts?: Artifact[];
}

export interface Backoff {
  duration?: string | number;
  factor?: string | number;
  cap?: string | number;
  maxDuration?: string | number;
}

export interface RetryStrategy {
  limit?: string | number;
  retryPolicy?: 'Always' | 'OnFailure' | 'OnError' | 'OnTransientError';
  backoff?: Backoff;
  expression?: string;
  affinity?: Record<string, unknown>;
}

export interface ContinueOn {
  error?: boolean;
  failed?: boolean;
}

export interface LifecycleHook {
  template?: string;
  templateRef?: TemplateRef;
  arguments?: Arguments;
  expression?: string;
}

export interface TemplateRef {
  name: string;
  template: string;
  clusterScope?: boolean;
}

export interface Sequence {
  count?: string | number;
  start?: string | number;
  end?: string | number;
  format?: string;
}

/** Fields shared by a step and a DAG task. */
export interface TemplateInvocation {
  name: string;
  template?: string;
  templateRef?: TemplateRef;
  inline?: Template;
  arguments?: Arguments;
  when?: string;
  withItems?: unknown[];
  withParam?: string;
  withSequence?: Sequence;
  continueOn?: ContinueOn;
  onExit?: string;
  hooks?: Record<string, LifecycleHook>;
}

export type WorkflowStep = TemplateInvocation;

export interface DAGTask extends TemplateInvocation {
  dependencies?: string[];
  depends?: string;
}

export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: Record<string, unknown>[];
  envFrom?: Record<string, unknown>[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  resources?: Record<string, unknown>;
  imagePullPolicy?: string;
  [k: string]: unknown;
}

export interface UserContainer extends Container {
  mirrorVolumeMounts?: boolean;
  dependencies?: string[];
}

export interface ScriptTemplate extends Container {
  source: string;
}

export interface Synchronization {
  mutex?: { name?: string; namespace?: string; database?: boolean };
  mutexes?: { name?: string; namespace?: string; database?: boolean }[];
  semaphore?: { configMapKeyRef?: { name: string; key: string }; database?: { key: string }; namespace?: string };
  semaphores?: { configMapKeyRef?: { name: string; key: string }; database?: { key: string }; namespace?: string }[];
}

export interface Memoize {
  key: string;
  maxAge?: string;
  cache: { configMap: { name: string; key?: string } };
}

export interface Template {
  name?: string;
  inputs?: Inputs;
  outputs?: Outputs;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  container?: Container;
  script?: ScriptTemplate;
  steps?: WorkflowStep[][];
  dag?: { target?: string; tasks: DAGTask[]; failFast?: boolean };
  suspend?: { duration?: string | number };
  resource?: {
    action: string;
    manifest?: string;
    manifestFrom?: { artifact: Artifact };
    successCondition?: string;
    failureCondition?: string;
    setOwnerReference?: boolean;
    mergeStrategy?: string;
    flags?: string[];
  };
  data?: { source: { artifactPaths?: Artifact & { name?: string } }; transformation: { expression: string }[] };
  http?: {
    method?: string;
    url: string;
    headers?: { name: string; value?: string; valueFrom?: Record<string, unknown> }[];
    body?: string;
    bodyFrom?: { bytes?: string };
    timeoutSeconds?: number;
    successCondition?: string;
    insecureSkipVerify?: boolean;
  };
  containerSet?: { containers: UserContainer[]; volumeMounts?: Container['volumeMounts']; retryStrategy?: { retries?: string | number } };
  plugin?: Record<string, unknown>;
  sidecars?: UserContainer[];
  initContainers?: UserContainer[];
  volumes?: Record<string, unknown>[];
  retryStrategy?: RetryStrategy;
  activeDeadlineSeconds?: string | number;
  timeout?: string;
  parallelism?: number | string;
  failFast?: boolean;
  daemon?: boolean;
  archiveLocation?: { archiveLogs?: boolean; [k: string]: unknown };
  podSpecPatch?: string;
  nodeSelector?: Record<string, string>;
  memoize?: Memoize;
  synchronization?: Synchronization;
  priority?: number;
  serviceAccountName?: string;
  hostAliases?: unknown[];
  securityContext?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface VolumeClaimTemplate {
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
}

/** spec.podGC: which of a workflow's Pods are deleted, and when (see src/workflow/podgc.ts). */
export interface PodGC {
  /** OnPodCompletion, OnPodSuccess, OnWorkflowCompletion or OnWorkflowSuccess; unset keeps every Pod. */
  strategy?: string;
  /** Only Pods matching it are deleted. */
  labelSelector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  /** Seconds or a Go duration ("30s"); default 5 s. */
  deleteDelayDuration?: string;
}

export interface WorkflowSpec {
  entrypoint?: string;
  arguments?: Arguments;
  templates?: Template[];
  workflowTemplateRef?: { name: string; clusterScope?: boolean };
  onExit?: string;
  hooks?: Record<string, LifecycleHook>;
  volumes?: Record<string, unknown>[];
  volumeClaimTemplates?: VolumeClaimTemplate[];
  volumeClaimGC?: { strategy?: string };
  parallelism?: number;
  activeDeadlineSeconds?: number;
  suspend?: boolean;
  shutdown?: 'Stop' | 'Terminate' | '';
  retryStrategy?: RetryStrategy;
  templateDefaults?: Template;
  serviceAccountName?: string;
  ttlStrategy?: Record<string, number>;
  podGC?: PodGC;
  workflowMetadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    labelsFrom?: Record<string, { expression: string }>;
  };
  artifactRepositoryRef?: { configMap?: string; key?: string };
  synchronization?: Synchronization;
  podSpecPatch?: string;
  podMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  archiveLogs?: boolean;
  priority?: number;
  nodeSelector?: Record<string, string>;
  metrics?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface NodeStatus {
  id: string;
  name: string;
  displayName: string;
  type: NodeType;
  templateName?: string;
  templateRef?: TemplateRef;
  templateScope?: string;
  phase: NodePhase;
  boundaryID?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  estimatedDuration?: number;
  progress?: string;
  resourcesDuration?: Record<string, number>;
  podIP?: string;
  daemoned?: boolean;
  nodeFlag?: { hooked?: boolean; retried?: boolean };
  inputs?: Inputs;
  outputs?: Outputs;
  children?: string[];
  outboundNodes?: string[];
  hostNodeName?: string;
  memoizationStatus?: { hit: boolean; key: string; cacheName: string };
  synchronizationStatus?: { waiting?: string };
}

export interface WorkflowStatus {
  phase?: WorkflowPhase;
  startedAt?: string;
  finishedAt?: string;
  estimatedDuration?: number;
  progress?: string;
  message?: string;
  nodes?: Record<string, NodeStatus>;
  storedTemplates?: Record<string, Template>;
  storedWorkflowTemplateSpec?: WorkflowSpec;
  outputs?: Outputs;
  conditions?: { type: string; status: string; message?: string }[];
  resourcesDuration?: Record<string, number>;
  persistentVolumeClaims?: Record<string, unknown>[];
  artifactRepositoryRef?: Record<string, unknown>;
  artifactGCStatus?: Record<string, unknown>;
  taskResultsCompletionStatus?: Record<string, boolean>;
  synchronization?: Record<string, unknown>;
}

export interface Workflow extends KObject {
  spec: WorkflowSpec;
  status?: WorkflowStatus;
}

export interface WorkflowTemplate extends KObject {
  spec: WorkflowSpec;
}

export interface CronWorkflowSpec {
  schedule?: string;
  schedules?: string[];
  timezone?: string;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  startingDeadlineSeconds?: number;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  suspend?: boolean;
  when?: string;
  stopStrategy?: { expression?: string; condition?: string };
  workflowSpec: WorkflowSpec;
  workflowMetadata?: ObjectMeta;
}

export interface CronWorkflow extends KObject {
  spec: CronWorkflowSpec;
  status?: Record<string, unknown>;
}

export interface WorkflowTaskResult extends KObject {
  outputs?: Outputs;
  phase?: NodePhase;
  message?: string;
  progress?: string;
}

export const LABEL_WORKFLOW = 'workflows.argoproj.io/workflow';
export const LABEL_COMPLETED = 'workflows.argoproj.io/completed';
export const ANNOTATION_NODE_ID = 'workflows.argoproj.io/node-id';
export const ANNOTATION_NODE_NAME = 'workflows.argoproj.io/node-name';

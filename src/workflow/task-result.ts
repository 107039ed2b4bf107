// The record of a node's outcome that the controller reads: a WorkflowTaskResult named after the
// node. Written by the executor for Pods, and by the controller itself for HTTP, resource and data
// templates, as Argo's agent would.
import type { Client } from '../client/types.js';
import { LABEL_WORKFLOW } from '../model/argo.js';
import type { NodePhase, Outputs, Workflow, WorkflowTaskResult } from '../model/argo.js';
import { isApiError } from '../model/errors.js';

export async function recordTaskResult(
  client: Client,
  wf: Workflow,
  nodeId: string,
  outputs: Outputs,
  failure?: { phase: Extract<NodePhase, 'Failed' | 'Error'>; message?: string },
): Promise<void> {
  const tr: WorkflowTaskResult = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'WorkflowTaskResult',
    metadata: {
      name: nodeId,
      namespace: wf.metadata.namespace,
      labels: { [LABEL_WORKFLOW]: wf.metadata.name!, 'workflows.argoproj.io/report-outputs-completed': 'true' },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: wf.metadata.name!, uid: wf.metadata.uid! }],
    },
    outputs,
    ...(failure ? { phase: failure.phase, message: failure.message } : {}),
  };
  await client.create(tr).catch((err) => {
    if (!isApiError(err, 'AlreadyExists')) throw err;
  });
}

// HTTP templates: the request Argo's agent pod would make, made by the controller. The outcome is
// recorded as a WorkflowTaskResult named after the node, exactly like a Pod's outputs.
import type { Client } from '../client/types.js';
import type { Template, Workflow } from '../model/argo.js';
import { evaluateExpression } from './subst.js';
import { recordTaskResult } from './task-result.js';

export interface HttpRequestAction {
  workflow: Workflow;
  nodeId: string;
  template: Template;
}

export async function performHttp(client: Client, req: HttpRequestAction): Promise<void> {
  const h = req.template.http!;
  const method = (h.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  for (const x of h.headers ?? []) if (x.value !== undefined) headers[x.name] = x.value;
  let phase: 'Failed' | 'Error' | undefined;
  let message: string | undefined;
  let result = '';
  try {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), (h.timeoutSeconds ?? 30) * 1000);
    let res: Response;
    try {
      res = await fetch(h.url, { method, headers, body: h.body ?? h.bodyFrom?.bytes, signal: ctl.signal });
    } finally {
      clearTimeout(timer);
    }
    result = await res.text();
    const responseHeaders: Record<string, string[]> = {};
    res.headers.forEach((v, k) => (responseHeaders[k] = [v]));
    if (h.successCondition) {
      const env = {
        request: { method, url: h.url, body: h.body ?? '', headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])) },
        response: { statusCode: BigInt(res.status), body: result, headers: responseHeaders },
      };
      let ok = false;
      try {
        ok = evaluateExpression(h.successCondition, {}, env) === true;
      } catch (err) {
        phase = 'Error';
        message = `failed to evaluate successCondition '${h.successCondition}': ${(err as Error).message}`;
      }
      if (!ok && !phase) {
        phase = 'Failed';
        message = `successCondition '${h.successCondition}' evaluated false`;
      }
    } else if (res.status < 200 || res.status >= 300) {
      phase = 'Failed';
      message = `received non-2xx response code: ${res.status}`;
    }
  } catch (err) {
    phase = 'Failed';
    const e = err as Error & { cause?: Error };
    message = e.name === 'AbortError' ? `request to ${h.url} timed out` : `${method} ${h.url}: ${e.cause?.message ?? e.message}`;
  }
  await recordTaskResult(client, req.workflow, req.nodeId, result ? { result } : {}, phase ? { phase, message } : undefined);
}

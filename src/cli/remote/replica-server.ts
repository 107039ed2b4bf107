// The API server `argosy server` runs: the Kubernetes and Argo REST API, with /readyz saying whether
// this replica leads. Its own module so that only `argosy server` loads the server stack.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiServer } from '../../server/server.js';
import type { EmbeddedRuntime } from '../runtime.js';

/** The API server, with /readyz saying whether this replica is the leader or a standby. */
export class ReplicaApiServer extends ApiServer {
  constructor(
    opts: ConstructorParameters<typeof ApiServer>[0],
    private readonly rt: EmbeddedRuntime,
  ) {
    super(opts);
  }

  override async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === '/readyz' || req.url?.startsWith('/readyz?')) {
      let ok = true;
      try {
        await this.rt.store.currentResourceVersion();
      } catch {
        ok = false;
      }
      const role = this.rt.isLeader ? 'leader' : 'standby';
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Argosy-Role': role, 'X-Argosy-Leader': this.rt.leader, 'X-Argosy-Identity': this.rt.identity });
      res.end(ok ? `ok: ${role} (identity ${this.rt.identity}, leader ${this.rt.leader || 'none'})` : 'not ready: the store does not answer');
      return;
    }
    return super.handle(req, res);
  }
}


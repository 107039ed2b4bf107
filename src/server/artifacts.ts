// Artifact downloads, as Argo Server's `/artifacts/{ns}/{wf}/{nodeId}/{name}` and
// `/input-artifacts/...`: the node is looked up in the workflow's status and the stored object is
// streamed from the local artifact repository (`<dataDir>/artifacts`). Argo unpacks a .tgz holding one
// file; here the stored object is served as it is, with a filename that says what it is.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { EmbeddedClient } from '../client/embedded.js';
import { Kinds } from '../client/types.js';
import type { Workflow } from '../model/argo.js';
import { ApiError } from '../model/errors.js';
import type { Store } from '../store/types.js';
import { ArtifactRepository } from '../workflow/artifacts.js';
import { sendText } from './http.js';

export const ARTIFACT_ROOTS = new Set(['artifacts', 'input-artifacts']);

export class ArtifactDownloads {
  private readonly client: EmbeddedClient;
  private readonly repo?: ArtifactRepository;

  constructor(store: Store, dataDir?: string) {
    this.client = new EmbeddedClient(store);
    if (dataDir) this.repo = new ArtifactRepository(join(dataDir, 'artifacts'));
  }

  /**
   * `parts`: the decoded path segments, starting with `artifacts` or `input-artifacts`. Errors are
   * plain text (a browser following a download link shows them as they are).
   */
  async handle(req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<void> {
    try {
      await this.serve(req, res, parts);
    } catch (err) {
      if (!(err instanceof ApiError) || res.headersSent) throw err;
      sendText(res, err.code, `${err.message}\n`);
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<void> {
    const [root, ns, wfName, nodeId, artName, ...extra] = parts;
    const notFound = (msg: string) => new ApiError('NotFound', msg);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError('MethodNotAllowed', `${req.method} is not allowed on /${root}`);
    if (!ns || !wfName || !nodeId || !artName || extra.length) throw notFound(`artifact path must be /${root}/{namespace}/{workflowName}/{nodeId}/{artifactName}`);
    const wf = await this.client.get<Workflow>(Kinds.Workflow, wfName, ns).catch((err) => {
      if (err instanceof ApiError && err.code === 404) throw notFound(`workflow ${ns}/${wfName} not found`);
      throw err;
    });
    const node = wf.status?.nodes?.[nodeId];
    if (!node) throw notFound(`workflow ${ns}/${wfName} has no node ${nodeId}`);
    const input = root === 'input-artifacts';
    const art = (input ? node.inputs?.artifacts : node.outputs?.artifacts)?.find((a) => a.name === artName);
    if (!art) throw notFound(`node ${nodeId} of workflow ${wfName} has no ${input ? 'input' : 'output'} artifact "${artName}"`);
    const key = art.s3?.key;
    if (!key) throw notFound(`artifact "${artName}" of node ${nodeId} is not stored in the artifact repository (no s3 key)`);
    if (!this.repo) throw notFound('this server has no artifact repository (no data directory)');
    let file: string;
    try {
      file = this.repo.pathOf(key);
    } catch (err) {
      throw new ApiError('BadRequest', (err as Error).message);
    }
    const st = await stat(file).catch(() => undefined);
    if (!st) throw notFound(`artifact "${artName}" (key ${key}) is missing from the artifact repository`);
    if (!st.isFile()) throw notFound(`artifact "${artName}" (key ${key}) is a directory (stored with archive: none); directories cannot be downloaded`);
    // A tar+gzip archive (the default) is served as <name>.tgz; a raw object keeps the file's own name.
    const head = Buffer.alloc(2);
    const fh = await open(file, 'r');
    try {
      await fh.read(head, 0, 2, 0);
    } finally {
      await fh.close();
    }
    const gz = head[0] === 0x1f && head[1] === 0x8b;
    const own = (art.path ?? '').split('/').filter(Boolean).pop() || (key.split('/').pop() ?? artName);
    const filename = gz ? (/\.(tgz|tar\.gz)$/.test(own) ? own : `${artName}.tgz`) : own;
    res.writeHead(200, {
      'Content-Type': gz ? 'application/gzip' : 'application/octet-stream',
      'Content-Length': st.size,
      'Content-Disposition': `attachment; filename="${filename.replace(/["\\\r\n]/g, '_')}"`,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const s = createReadStream(file);
      s.on('error', reject);
      res.on('close', resolve);
      s.pipe(res);
    });
  }
}

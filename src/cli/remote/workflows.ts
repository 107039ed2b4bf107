// Workflow verbs against a server, in `argo`'s shapes: submit, list, get, watch, logs, wait, suspend,
// resume, stop, terminate, retry, resubmit, delete, node set.
import type { Command } from 'commander';
import { Option } from 'commander';
import { toYaml } from '../../model/yaml-lib.js';
import type { Workflow } from '../../model/argo.js';
import { isApiError } from '../../model/errors.js';
import { ConnectionError } from '../../client/remote.js';
import { humanAge } from '../../server/table.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js';
import { applyParameters, loadFiles } from '../load.js';
import { nodeDuration, nodeTree, printWorkflow, table, workflowSummary } from '../render.js';
import { type Conn, type ConnOptions, enc, runVerb, withConnection } from './connection.js';

const collect = (value: string, previous: string[]) => [...previous, value];
const COMPLETED = new Set(['Succeeded', 'Failed', 'Error']);
const OUTPUTS = ['json', 'yaml', 'wide', 'name'];

function checkOutput(o: string | undefined, allowed = OUTPUTS): void {
  if (o && !allowed.includes(o)) throw new UsageError(`--output ${o}: must be one of ${allowed.join(', ')}`);
}

/** `30s`, `5m`, `1h30m`, `2d` → milliseconds. */
export function parseAge(text: string, flag: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms']!;
    consumed += m[0].length;
  }
  if (!text || consumed !== text.length) throw new UsageError(`${flag} ${text}: expected a duration such as 30s, 5m, 1h or 2d`);
  return total;
}

function statusText(wf: Workflow): string {
  const phase = wf.status?.phase || 'Pending';
  if (phase === 'Running' && wf.spec?.suspend) return 'Running (Suspended)';
  return phase;
}

const wfPath = (ns: string, name?: string, action?: string) => `/api/v1/workflows/${enc(ns)}${name ? `/${enc(name)}` : ''}${action ? `/${action}` : ''}`;

/**
 * Follow one workflow's events until it completes; `onUpdate` sees every version. Re-opens the stream
 * when it ends early (server restart), as `argo wait` does on EOF.
 */
export async function followWorkflow(conn: Conn, ns: string, name: string, onUpdate: (wf: Workflow) => void): Promise<Workflow> {
  let last: Workflow | undefined;
  let failures = 0;
  for (;;) {
    const ac = new AbortController();
    try {
      await conn.stream<{ type: string; object: Workflow }>(
        `/api/v1/workflow-events/${enc(ns)}?listOptions.fieldSelector=${enc(`metadata.name=${name}`)}`,
        (r) => {
          failures = 0;
          if (r.type === 'DELETED') {
            ac.abort();
            throw new UsageError(`workflow ${name} was deleted`, EXIT_FAILED);
          }
          last = r.object;
          onUpdate(r.object);
          if (COMPLETED.has(r.object.status?.phase ?? '')) ac.abort();
        },
        ac.signal,
      );
    } catch (err) {
      if (!(err instanceof ConnectionError) || ++failures > 60) throw err;
    }
    if (last && COMPLETED.has(last.status?.phase ?? '')) return last;
    if (!last) {
      // Not there at all: a clear NotFound rather than waiting forever.
      try {
        await conn.get(wfPath(ns, name));
      } catch (err) {
        if (isApiError(err, 'NotFound')) throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export interface LogVerbOptions {
  pod?: string;
  follow?: boolean;
  container?: string;
  since?: string;
  tail?: string;
  timestamps?: boolean;
  grep?: string;
}

/** The options every `logs` verb takes (`logs`, `archive logs`): container, since, tail, timestamps, grep, no-color. */
export function withLogOptions(c: Command): Command {
  return c
    .option('-c, --container <name>', 'container', 'main')
    .option('--since <duration>', 'only lines newer than this (e.g. 5m)')
    .option('--tail <n>', 'only the last N lines of each pod')
    .option('--timestamps', 'prefix lines with their timestamps')
    .option('--grep <regex>', 'only lines matching this')
    .option('--no-color', 'no colour (accepted for compatibility)');
}

/** The query string of a …/log request from a `logs` verb's options (for live and archived workflows). */
export function logQuery(o: LogVerbOptions): URLSearchParams {
  const q = new URLSearchParams();
  if (o.pod) q.set('podName', o.pod);
  q.set('logOptions.container', o.container ?? 'main');
  if (o.follow) q.set('logOptions.follow', 'true');
  if (o.since) q.set('logOptions.sinceSeconds', String(Math.ceil(parseAge(o.since, '--since') / 1000)));
  if (o.tail !== undefined) {
    if (!/^-?\d+$/.test(o.tail)) throw new UsageError(`--tail ${o.tail}: must be a number of lines`);
    if (Number(o.tail) >= 0) q.set('logOptions.tailLines', o.tail);
  }
  if (o.timestamps) q.set('logOptions.timestamps', 'true');
  if (o.grep) q.set('grep', o.grep);
  return q;
}

/** Stream a workflow's logs (all pods, or one), printing `pod: line` as argo does. */
async function streamLogs(conn: Conn, ns: string, name: string, o: LogVerbOptions & { noPrefix?: boolean }, signal?: AbortSignal): Promise<void> {
  const q = logQuery(o);
  await conn.stream<{ content: string; podName: string }>(`${wfPath(ns, name, 'log')}?${q}`, (r) => {
    process.stdout.write(o.noPrefix ? `${r.content}\n` : `${r.podName}: ${r.content}\n`);
  }, signal);
}

/** A live tree on a terminal; nothing until the end otherwise. */
function liveDrawer() {
  const live = !!process.stdout.isTTY;
  let drawn = 0;
  let lastDraw = 0;
  return (wf: Workflow, force = false) => {
    if (!live) return;
    const now = Date.now();
    if (!force && now - lastDraw < 200) return;
    lastDraw = now;
    const text = workflowSummary(wf, { colors: true });
    if (drawn) process.stdout.write(`\x1b[${drawn}A\x1b[J`);
    process.stdout.write(text + '\n');
    drawn = text.split('\n').length;
  };
}

export function registerWorkflowCommands(program: Command): void {
  withConnection(
    program
      .command('submit')
      .description('submit workflow files (or --from a template) to the server')
      .argument('[files...]', 'workflow YAML files; - reads stdin')
      .option('-p, --parameter <name=value>', 'set a workflow parameter (repeatable)', collect, [])
      .option('-f, --parameter-file <file>', 'YAML or JSON map of parameter values')
      .option('--from <kind/name>', 'submit from workflowtemplate/NAME, clusterworkflowtemplate/NAME or cronworkflow/NAME')
      .option('--entrypoint <name>', 'override spec.entrypoint')
      .option('--generate-name <prefix>', 'override metadata.generateName')
      .option('--name <name>', 'override metadata.name')
      .option('-l, --labels <k=v,...>', 'labels to add')
      .option('--serviceaccount <name>', 'run pods with this service account')
      .option('--server-dry-run', 'validate on the server without creating')
      .option('-w, --wait', 'wait for the workflow to finish; exit 1 if it did not succeed')
      .option('--watch', 'watch the workflow until it finishes')
      .option('--log', 'stream the logs while it runs (implies --wait)')
      .addOption(new Option('-o, --output <format>', 'json|yaml|wide|name')),
  ).action(async (files: string[], o) =>
    runVerb(o as ConnOptions, async (conn) => {
      checkOutput(o.output);
      const ns = conn.namespace;
      const created: Workflow[] = [];
      if (o.from) {
        if (files.length) throw new UsageError('--from and files cannot be combined: submit either files or a template');
        const [kind, name] = String(o.from).split('/');
        if (!kind || !name) throw new UsageError(`--from ${o.from}: expected kind/name, e.g. workflowtemplate/my-template`);
        const parameters: string[] = [...o.parameter];
        if (o.parameterFile) {
          const holder: Workflow = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: {}, spec: {} } as Workflow;
          await applyParameters(holder, [], o.parameterFile);
          for (const p of holder.spec.arguments?.parameters ?? []) parameters.push(`${p.name}=${p.value}`);
        }
        created.push(
          await conn.post<Workflow>(`/api/v1/workflows/${enc(ns)}/submit`, {
            namespace: ns,
            resourceKind: kind,
            resourceName: name,
            submitOptions: { parameters, entryPoint: o.entrypoint, labels: o.labels, generateName: o.generateName, name: o.name, serviceAccount: o.serviceaccount, serverDryRun: !!o.serverDryRun },
          }),
        );
      } else {
        if (!files.length) throw new UsageError('no files given: pass workflow YAML files, or --from workflowtemplate/NAME');
        const manifests = await loadFiles(files);
        const workflows = manifests.filter((m) => m.object.kind === 'Workflow');
        if (!workflows.length) throw new UsageError(`${files.join(', ')}: no Workflow found (kinds present: ${[...new Set(manifests.map((m) => m.object.kind))].join(', ') || 'none'})`);
        for (const m of workflows) {
          const wf = m.object as Workflow;
          await applyParameters(wf, o.parameter, o.parameterFile);
          if (o.entrypoint) wf.spec.entrypoint = o.entrypoint;
          if (o.generateName) {
            wf.metadata.generateName = o.generateName;
            delete wf.metadata.name;
          }
          if (o.name) wf.metadata.name = o.name;
          if (o.serviceaccount) wf.spec.serviceAccountName = o.serviceaccount;
          if (o.labels) {
            for (const kv of String(o.labels).split(',').filter(Boolean)) {
              const i = kv.indexOf('=');
              if (i <= 0) throw new UsageError(`--labels ${o.labels}: expected k=v,k2=v2`);
              wf.metadata.labels = { ...(wf.metadata.labels ?? {}), [kv.slice(0, i)]: kv.slice(i + 1) };
            }
          }
          wf.metadata.namespace = ns;
          created.push(await conn.post<Workflow>(wfPath(ns), { namespace: ns, serverDryRun: !!o.serverDryRun, workflow: wf }));
        }
      }
      const waiting = o.wait || o.watch || o.log;
      if (!waiting || o.serverDryRun) {
        for (const wf of created) printWorkflow(wf, o.output);
        return EXIT_OK;
      }
      let worst = EXIT_OK;
      for (const wf of created) {
        const name = wf.metadata.name!;
        const ac = new AbortController();
        const logs = o.log ? streamLogs(conn, ns, name, { follow: true }, ac.signal).catch(() => undefined) : undefined;
        const draw = o.watch ? liveDrawer() : undefined;
        const final = await followWorkflow(conn, ns, name, (w) => draw?.(w));
        if (logs) {
          await Promise.race([logs, new Promise((r) => setTimeout(r, 3000))]);
          ac.abort();
        }
        if (final.status?.phase !== 'Succeeded') worst = EXIT_FAILED;
        if (o.watch && process.stdout.isTTY && !o.output) draw?.(final, true);
        else if (o.output || o.watch) printWorkflow(final, o.output);
        else process.stdout.write(`${name} ${final.status?.phase} at ${final.status?.finishedAt ?? ''}\n`);
      }
      return worst;
    }),
  );

  withConnection(
    program
      .command('list')
      .description('list workflows')
      .option('-l, --selector <selector>', 'label selector, e.g. app=web')
      .option('--field-selector <selector>', 'field selector, e.g. metadata.name=x')
      .option('--status <phases>', 'only these phases, comma-separated (Running,Failed)')
      .option('--running', 'only running workflows')
      .option('--completed', 'only completed workflows')
      .option('--since <duration>', 'only workflows created within this duration (e.g. 1h)')
      .option('--older <duration>', 'only workflows completed longer ago than this')
      .option('--prefix <prefix>', 'only workflows whose name starts with this')
      .option('--chunk-size <n>', 'page size when listing', '0')
      .option('--no-headers', 'omit the header line')
      .addOption(new Option('-o, --output <format>', 'wide|name|json|yaml')),
    { allNamespaces: true },
  ).action(async (o) =>
    runVerb(o as ConnOptions, async (conn) => {
      checkOutput(o.output);
      const items = await listWorkflows(conn, o);
      if (o.output === 'json') process.stdout.write(JSON.stringify(items, null, 2) + '\n');
      else if (o.output === 'yaml') process.stdout.write(toYaml(items));
      else if (o.output === 'name') for (const w of items) process.stdout.write(`${w.metadata.name}\n`);
      else {
        const wide = o.output === 'wide';
        const headers = [...(conn.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'STATUS', 'AGE', 'DURATION', 'PRIORITY', 'MESSAGE', ...(wide ? ['P/R', 'PARAMETERS'] : [])];
        const rows = items.map((w) => [
          ...(conn.allNamespaces ? [w.metadata.namespace ?? ''] : []),
          w.metadata.name ?? '',
          statusText(w),
          humanAge(w.status?.startedAt ?? w.metadata.creationTimestamp),
          w.status?.startedAt ? nodeDuration(w.status) : '0s',
          String(w.spec?.priority ?? 0),
          w.status?.message ?? '',
          ...(wide ? [w.status?.progress ?? '', (w.spec?.arguments?.parameters ?? []).map((p) => `${p.name}=${p.value ?? ''}`).join(',')] : []),
        ]);
        if (!rows.length) {
          process.stderr.write(`No workflows found${conn.allNamespaces ? '' : ` in namespace ${conn.namespace}`}\n`);
          return;
        }
        const text = table(headers, rows);
        process.stdout.write((o.headers === false ? text.split('\n').slice(1).join('\n') : text) + '\n');
      }
    }),
  );

  withConnection(
    program
      .command('get')
      .description('show a workflow and its node tree')
      .argument('<name>', 'workflow name (or @latest)')
      .addOption(new Option('-o, --output <format>', 'json|yaml|wide|name')),
  ).action(async (name: string, o) =>
    runVerb(o as ConnOptions, async (conn) => {
      checkOutput(o.output);
      printWorkflow(await conn.get<Workflow>(wfPath(conn.namespace, await resolveName(conn, name))), o.output);
    }),
  );

  withConnection(
    program
      .command('watch')
      .description('watch a workflow until it finishes')
      .argument('<name>', 'workflow name (or @latest)'),
  ).action(async (name: string, o) =>
    runVerb(o as ConnOptions, async (conn) => {
      const draw = liveDrawer();
      const final = await followWorkflow(conn, conn.namespace, await resolveName(conn, name), (w) => draw(w));
      if (process.stdout.isTTY) draw(final, true);
      else printWorkflow(final, undefined);
      return final.status?.phase === 'Succeeded' ? EXIT_OK : EXIT_FAILED;
    }),
  );

  withConnection(
    withLogOptions(
      program
        .command('logs')
        .description("print a workflow's logs (all pods, or POD), each line prefixed with its pod name")
        .argument('<name>', 'workflow name (or @latest)')
        .argument('[pod]', 'only this pod')
        .option('-f, --follow', 'keep streaming until the workflow finishes'),
    ),
  ).action(async (name: string, pod: string | undefined, o) =>
    runVerb(o as ConnOptions, async (conn) => {
      await streamLogs(conn, conn.namespace, await resolveName(conn, name), { pod, follow: o.follow, container: o.container, since: o.since, tail: o.tail, timestamps: o.timestamps, grep: o.grep });
    }),
  );

  withConnection(
    program
      .command('wait')
      .description('wait for workflows to finish; exit 1 if any ends Failed or Error')
      .argument('<names...>', 'workflow names'),
  ).action(async (names: string[], o) =>
    runVerb(o as ConnOptions, async (conn) => {
      const finals = await Promise.all(names.map(async (n) => followWorkflow(conn, conn.namespace, await resolveName(conn, n), () => {})));
      for (const wf of finals) process.stdout.write(`${wf.metadata.name} ${wf.status?.phase} at ${wf.status?.finishedAt ?? ''}\n`);
      return finals.every((w) => w.status?.phase === 'Succeeded') ? EXIT_OK : EXIT_FAILED;
    }),
  );

  const simple = (verb: string, description: string, past: string, extra?: (c: Command) => Command, body?: (o: Record<string, unknown>) => unknown) => {
    let cmd = program.command(verb).description(description).argument('<names...>', 'workflow names');
    if (extra) cmd = extra(cmd);
    withConnection(cmd).action(async (names: string[], o) =>
      runVerb(o as ConnOptions, async (conn) => {
        for (const n of names) {
          const name = await resolveName(conn, n);
          await conn.put(wfPath(conn.namespace, name, verb), { namespace: conn.namespace, name, ...((body?.(o) as object) ?? {}) });
          process.stdout.write(`workflow ${name} ${past}\n`);
        }
      }),
    );
  };
  simple('suspend', 'suspend workflows', 'suspended');
  simple('resume', 'resume workflows (or only the suspend nodes matching --node-field-selector)', 'resumed', (c) => c.option('--node-field-selector <selector>', 'e.g. displayName=approve'), (o) => ({ nodeFieldSelector: o.nodeFieldSelector }));
  simple('stop', 'stop workflows: running steps are stopped, exit handlers run', 'stopped', (c) => c.option('--message <text>', 'message to record'), (o) => ({ message: o.message }));
  simple('terminate', 'terminate workflows immediately: no exit handlers', 'terminated');

  withConnection(
    program
      .command('retry')
      .description('retry a failed workflow: failed steps run again, successful ones are kept')
      .argument('<names...>', 'workflow names')
      .option('--restart-successful', 'also re-run successful nodes matching --node-field-selector')
      .option('--node-field-selector <selector>', 'which successful nodes to re-run, e.g. displayName=build')
      .option('-p, --parameter <name=value>', 'change a workflow parameter (repeatable)', collect, [])
      .option('-w, --wait', 'wait for the retried workflow to finish')
      .addOption(new Option('-o, --output <format>', 'json|yaml|wide|name')),
  ).action(async (names: string[], o) =>
    runVerb(o as ConnOptions, (conn) =>
      eachNewRun(conn, names, o, (name) =>
        conn.put<Workflow>(wfPath(conn.namespace, name, 'retry'), { namespace: conn.namespace, name, restartSuccessful: !!o.restartSuccessful, nodeFieldSelector: o.nodeFieldSelector, parameters: o.parameter }),
      ),
    ),
  );

  withConnection(
    program
      .command('resubmit')
      .description('submit a new run of an existing workflow')
      .argument('<names...>', 'workflow names')
      .option('-p, --parameter <name=value>', 'change a workflow parameter (repeatable)', collect, [])
      .option('--memoized', 'accepted for compatibility (memoization is per template)')
      .option('-w, --wait', 'wait for the new workflow to finish')
      .addOption(new Option('-o, --output <format>', 'json|yaml|wide|name')),
  ).action(async (names: string[], o) =>
    runVerb(o as ConnOptions, (conn) =>
      eachNewRun(conn, names, o, (name) =>
        conn.put<Workflow>(wfPath(conn.namespace, name, 'resubmit'), { namespace: conn.namespace, name, memoized: !!o.memoized, parameters: o.parameter }),
      ),
    ),
  );

  withConnection(
    program
      .command('delete')
      .description('delete workflows')
      .argument('[names...]', 'workflow names')
      .option('--all', 'all workflows in the namespace')
      .option('--completed', 'only completed workflows')
      .option('--older <duration>', 'only workflows completed longer ago than this (e.g. 1h)')
      .option('-l, --selector <selector>', 'label selector')
      .option('--dry-run', 'print what would be deleted'),
    { allNamespaces: true },
  ).action(async (names: string[], o) =>
    runVerb(o as ConnOptions, async (conn) => {
      let targets: { ns: string; name: string }[];
      if (names.length) {
        if (o.all || o.selector) throw new UsageError('give workflow names, or --all / --selector, not both');
        targets = await Promise.all(names.map(async (n) => ({ ns: conn.namespace, name: await resolveName(conn, n) })));
      } else {
        if (!o.all && !o.completed && !o.older && !o.selector) throw new UsageError('nothing to delete: give workflow names, or --all, --completed, --older or --selector');
        const items = await listWorkflows(conn, { selector: o.selector, completed: o.completed, older: o.older });
        targets = items.map((w) => ({ ns: w.metadata.namespace!, name: w.metadata.name! }));
      }
      for (const t of targets) {
        if (!o.dryRun) await conn.del(wfPath(t.ns, t.name));
        process.stdout.write(`Workflow '${t.name}' deleted${o.dryRun ? ' (dry run)' : ''}\n`);
      }
    }),
  );

  const node = program.command('node').description('act on a node of a workflow');
  withConnection(
    node
      .command('set')
      .description("set a node's phase, message or (for suspend nodes) output parameters")
      .argument('<name>', 'workflow name')
      .requiredOption('--node-field-selector <selector>', 'which node, e.g. displayName=approve')
      .option('--phase <phase>', 'Succeeded, Failed, ...')
      .option('-m, --message <text>', 'node message')
      .option('-p, --output-parameter <name=value>', 'output parameter value (repeatable)', collect, []),
  ).action(async (name: string, o) =>
    runVerb(o as ConnOptions, async (conn) => {
      const outputs: Record<string, string> = {};
      for (const kv of o.outputParameter as string[]) {
        const i = kv.indexOf('=');
        if (i <= 0) throw new UsageError(`--output-parameter ${kv}: expected name=value`);
        outputs[kv.slice(0, i)] = kv.slice(i + 1);
      }
      const wfName = await resolveName(conn, name);
      await conn.put(wfPath(conn.namespace, wfName, 'set'), {
        namespace: conn.namespace,
        name: wfName,
        nodeFieldSelector: o.nodeFieldSelector,
        phase: o.phase,
        message: o.message,
        outputParameters: Object.keys(outputs).length ? JSON.stringify(outputs) : undefined,
      });
      process.stdout.write(`workflow values set\n`);
    }),
  );
}

/** `@latest` → the newest workflow in the namespace. */
async function resolveName(conn: Conn, name: string): Promise<string> {
  if (name !== '@latest') return name;
  const list = await conn.get<{ items: Workflow[] | null }>(`${wfPath(conn.namespace)}?fields=${enc('items.metadata.name,items.metadata.creationTimestamp')}`);
  const items = [...(list.items ?? [])].sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
  if (!items.length) throw new UsageError(`no workflows in namespace ${conn.namespace}`, EXIT_FAILED);
  return items[0].metadata.name!;
}

async function listWorkflows(conn: Conn, o: { selector?: string; fieldSelector?: string; status?: string; running?: boolean; completed?: boolean; since?: string; older?: string; prefix?: string; chunkSize?: string }): Promise<Workflow[]> {
  const ns = conn.allNamespaces ? '' : conn.namespace;
  const selectors = [o.selector];
  if (o.running) selectors.push('workflows.argoproj.io/completed!=true');
  if (o.completed) selectors.push('workflows.argoproj.io/completed=true');
  const items: Workflow[] = [];
  let cont: string | undefined;
  const chunk = Number(o.chunkSize ?? 0);
  do {
    const q = new URLSearchParams();
    const ls = selectors.filter(Boolean).join(',');
    if (ls) q.set('listOptions.labelSelector', ls);
    if (o.fieldSelector) q.set('listOptions.fieldSelector', o.fieldSelector);
    if (chunk > 0) q.set('listOptions.limit', String(chunk));
    if (cont) q.set('listOptions.continue', cont);
    const page = await conn.get<{ items: Workflow[] | null; metadata: { continue?: string } }>(`/api/v1/workflows/${enc(ns)}${q.toString() ? `?${q}` : ''}`);
    items.push(...(page.items ?? []));
    cont = page.metadata?.continue;
  } while (cont);
  const statuses = o.status ? o.status.split(',').map((s) => s.trim().toLowerCase()) : undefined;
  const since = o.since ? Date.now() - parseAge(o.since, '--since') : undefined;
  const older = o.older ? Date.now() - parseAge(o.older, '--older') : undefined;
  return items
    .filter((w) => !statuses || statuses.includes((w.status?.phase || 'Pending').toLowerCase()))
    .filter((w) => since === undefined || new Date(w.metadata.creationTimestamp ?? 0).getTime() >= since)
    .filter((w) => older === undefined || (!!w.status?.finishedAt && new Date(w.status.finishedAt).getTime() <= older))
    .filter((w) => !o.prefix || w.metadata.name!.startsWith(o.prefix))
    .sort((a, b) => {
      // Running first, then newest first, as argo lists them.
      const ra = COMPLETED.has(a.status?.phase ?? '') ? 1 : 0;
      const rb = COMPLETED.has(b.status?.phase ?? '') ? 1 : 0;
      return ra - rb || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || a.metadata.name!.localeCompare(b.metadata.name!);
    });
}

export { nodeTree };

/** Print a workflow an action returned, or with --wait follow it to the end first; EXIT_FAILED unless it succeeded. */
async function printOrWait(conn: Parameters<typeof followWorkflow>[0], wf: Workflow, wait: boolean | undefined, output: string | undefined): Promise<number> {
  if (!wait) {
    printWorkflow(wf, output);
    return EXIT_OK;
  }
  const final = await followWorkflow(conn, conn.namespace, wf.metadata.name!, () => {});
  printWorkflow(final, output);
  return final.status?.phase === 'Succeeded' ? EXIT_OK : EXIT_FAILED;
}

/** retry/resubmit: for each named workflow, run the action that makes its new run, then print or wait; the worst exit code. */
async function eachNewRun(
  conn: Parameters<typeof followWorkflow>[0] & Parameters<typeof resolveName>[0],
  names: string[],
  o: { wait?: boolean; output?: string },
  newRun: (name: string) => Promise<Workflow>,
): Promise<number> {
  checkOutput(o.output);
  let worst = EXIT_OK;
  for (const n of names) {
    const wf = await newRun(await resolveName(conn, n));
    if ((await printOrWait(conn, wf, o.wait, o.output)) !== EXIT_OK) worst = EXIT_FAILED;
  }
  return worst;
}

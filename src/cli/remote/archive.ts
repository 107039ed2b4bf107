// `archive` verbs against a server: list, get, delete, list-label-keys, list-label-values, retry,
// resubmit (Argo's `argo archive`), and logs (Argosy's: the pods' logs kept in the archive).
import type { Command } from 'commander';
import { Option } from 'commander';
import { toYaml } from '../../model/yaml-lib.js';
import type { Workflow } from '../../model/argo.js';
import { humanAge } from '../../server/table.js';
import { UsageError } from '../errors.js';
import { table } from '../render.js';
import { type ConnOptions, enc, runVerb, withConnection } from './connection.js';
import { printWorkflow } from '../render.js';
import { logQuery, withLogOptions } from './workflows.js';

const collect = (value: string, previous: string[]) => [...previous, value];
const BASE = '/api/v1/archived-workflows';

export function registerArchiveCommands(program: Command): void {
  const group = program.command('archive').description('manage the workflow archive (completed workflows kept after deletion)');
  const conn = (c: Command, all = false) => withConnection(c, { allNamespaces: all });

  conn(
    group
      .command('list')
      .description('list archived workflows, newest finished first')
      .option('-l, --selector <selector>', 'label selector')
      .option('--prefix <prefix>', 'only names starting with this')
      .option('--chunk-size <n>', 'page size when fetching (0: one request)', '0')
      .addOption(new Option('-o, --output <format>', 'json|yaml|wide|name')),
    true,
  ).action(async (o) =>
    runVerb(o as ConnOptions, async (c) => {
      const chunk = Number(o.chunkSize);
      if (!Number.isInteger(chunk) || chunk < 0) throw new UsageError(`--chunk-size ${o.chunkSize}: must be a whole number`);
      const items: Workflow[] = [];
      let cont: string | undefined;
      do {
        const q = new URLSearchParams();
        if (!c.allNamespaces) q.set('namespace', c.namespace);
        if (o.selector) q.set('listOptions.labelSelector', o.selector);
        if (o.prefix) q.set('namePrefix', o.prefix);
        if (chunk) q.set('listOptions.limit', String(chunk));
        if (cont) q.set('listOptions.continue', cont);
        const page = await c.get<{ items: Workflow[] | null; metadata?: { continue?: string } }>(`${BASE}?${q}`);
        items.push(...(page.items ?? []));
        cont = page.metadata?.continue;
      } while (cont);
      if (o.output === 'json') return void process.stdout.write(JSON.stringify(items, null, 2) + '\n');
      if (o.output === 'yaml') return void process.stdout.write(toYaml(items));
      if (o.output === 'name') return void items.forEach((w) => process.stdout.write(`${w.metadata.name}\n`));
      if (!items.length) return void process.stderr.write('No archived workflows found\n');
      const wide = o.output === 'wide';
      const headers = ['NAMESPACE', 'NAME', 'STATUS', 'AGE', 'UID', ...(wide ? ['FINISHED'] : [])];
      const rows = items.map((w) => [w.metadata.namespace ?? '', w.metadata.name ?? '', w.status?.phase ?? '', humanAge(w.status?.startedAt ?? w.metadata.creationTimestamp), w.metadata.uid ?? '', ...(wide ? [w.status?.finishedAt ?? ''] : [])]);
      process.stdout.write(table(headers, rows) + '\n');
    }),
  );

  conn(group.command('get').description('show an archived workflow by UID').argument('<uid>', 'workflow UID').addOption(new Option('-o, --output <format>', 'json|yaml|name'))).action(async (uid: string, o) =>
    runVerb(o as ConnOptions, async (c) => printWorkflow(await c.get<Workflow>(`${BASE}/${enc(uid)}`), o.output)),
  );

  conn(group.command('delete').description('delete archived workflows by UID').argument('<uids...>', 'workflow UIDs')).action(async (uids: string[], o) =>
    runVerb(o as ConnOptions, async (c) => {
      for (const uid of uids) {
        await c.del(`${BASE}/${enc(uid)}`);
        process.stdout.write(`Archived workflow '${uid}' deleted\n`);
      }
    }),
  );

  conn(group.command('list-label-keys').description('label keys used by archived workflows')).action(async (o) =>
    runVerb(o as ConnOptions, async (c) => {
      for (const k of (await c.get<{ items: string[] | null }>('/api/v1/archived-workflows-label-keys')).items ?? []) process.stdout.write(`${k}\n`);
    }),
  );

  conn(group.command('list-label-values').description('values of one label key in archived workflows').requiredOption('-l, --selector <key>', 'the label key')).action(async (o) =>
    runVerb(o as ConnOptions, async (c) => {
      for (const v of (await c.get<{ items: string[] | null }>(`/api/v1/archived-workflows-label-values?listOptions.labelSelector=${enc(o.selector)}`)).items ?? []) process.stdout.write(`${v}\n`);
    }),
  );

  conn(
    withLogOptions(
      group
        .command('logs')
        .description("print an archived workflow's logs (all pods, or POD), each line prefixed with its pod name")
        .argument('<uid>', 'workflow UID')
        .argument('[pod]', 'only this pod'),
    ),
  ).action(async (uid: string, pod: string | undefined, o) =>
    runVerb(o as ConnOptions, async (c) => {
      const q = logQuery({ pod, container: o.container, since: o.since, tail: o.tail, timestamps: o.timestamps, grep: o.grep });
      await c.stream<{ content: string; podName: string }>(`${BASE}/${enc(uid)}/log?${q}`, (r) => process.stdout.write(`${r.podName}: ${r.content}\n`));
    }),
  );

  for (const verb of ['resubmit', 'retry'] as const) {
    let cmd = group
      .command(verb)
      .description(verb === 'resubmit' ? 'submit a new workflow from an archived one' : 'retry an archived workflow (restored to the cluster if it was deleted)')
      .argument('<uids...>', 'workflow UIDs')
      .option('-p, --parameter <name=value>', 'override a workflow parameter (repeatable)', collect, [])
      .addOption(new Option('-o, --output <format>', 'json|yaml|name'));
    if (verb === 'retry') cmd = cmd.option('--restart-successful', 'also restart successful nodes matching --node-field-selector').option('--node-field-selector <selector>', 'nodes to restart');
    conn(cmd).action(async (uids: string[], o) =>
      runVerb(o as ConnOptions, async (c) => {
        for (const uid of uids) {
          const wf = await c.put<Workflow>(`${BASE}/${enc(uid)}/${verb}`, {
            uid,
            namespace: c.namespace,
            parameters: o.parameter,
            ...(verb === 'retry' ? { restartSuccessful: !!o.restartSuccessful, nodeFieldSelector: o.nodeFieldSelector } : {}),
          });
          if (o.output) printWorkflow(wf, o.output);
          else process.stdout.write(`Workflow ${wf.metadata.name} ${verb === 'resubmit' ? 'submitted' : 'retried'}\n`);
        }
      }),
    );
  }
}

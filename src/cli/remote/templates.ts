// `template`, `cluster-template` and `cron` verbs against a server: create, list, get, update, delete,
// lint, and for cron suspend/resume.
import type { Command } from 'commander';
import { Option } from 'commander';
import { toYaml } from '../../model/yaml-lib.js';
import type { CronWorkflow } from '../../model/argo.js';
import type { KObject } from '../../model/object.js';
import { humanAge } from '../../server/table.js';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../errors.js';
import { loadFiles } from '../load.js';
import { table } from '../render.js';
import { type Conn, type ConnOptions, enc, runVerb, withConnection } from './connection.js';

interface Family {
  command: string;
  kind: 'WorkflowTemplate' | 'ClusterWorkflowTemplate' | 'CronWorkflow';
  noun: string;
  /** Body field of create/update/lint. */
  field: 'template' | 'cronWorkflow';
  base: (conn: Conn, allNamespaces?: boolean) => string;
  cluster: boolean;
}

const FAMILIES: Family[] = [
  { command: 'template', kind: 'WorkflowTemplate', noun: 'workflow template', field: 'template', base: (c, all) => `/api/v1/workflow-templates/${all ? '' : enc(c.namespace)}`, cluster: false },
  { command: 'cluster-template', kind: 'ClusterWorkflowTemplate', noun: 'cluster workflow template', field: 'template', base: () => '/api/v1/cluster-workflow-templates', cluster: true },
  { command: 'cron', kind: 'CronWorkflow', noun: 'cron workflow', field: 'cronWorkflow', base: (c, all) => `/api/v1/cron-workflows/${all ? '' : enc(c.namespace)}`, cluster: false },
];

function print(obj: KObject, output: string | undefined, fam: Family): void {
  switch (output) {
    case 'json':
      process.stdout.write(JSON.stringify(obj, null, 2) + '\n');
      return;
    case 'yaml':
      process.stdout.write(toYaml(obj));
      return;
    case 'name':
      process.stdout.write(`${obj.metadata.name}\n`);
      return;
  }
  const lines: [string, string][] = [
    ['Name:', obj.metadata.name ?? ''],
    ...(fam.cluster ? [] : ([['Namespace:', obj.metadata.namespace ?? '']] as [string, string][])),
    ['Created:', obj.metadata.creationTimestamp ? new Date(obj.metadata.creationTimestamp).toString().replace(/ \(.*\)$/, '') : ''],
  ];
  if (fam.kind === 'CronWorkflow') {
    const cw = obj as CronWorkflow;
    lines.push(['Schedule:', cw.spec.schedule ?? (cw.spec.schedules ?? []).join(',')], ['Suspended:', String(!!cw.spec.suspend)]);
    if (cw.spec.timezone) lines.push(['Timezone:', cw.spec.timezone]);
    if (cw.spec.concurrencyPolicy) lines.push(['ConcurrencyPolicy:', cw.spec.concurrencyPolicy]);
  }
  process.stdout.write(lines.map(([k, v]) => `${k.padEnd(20)} ${v}`).join('\n') + '\n');
}

async function readObjects(files: string[], fam: Family): Promise<KObject[]> {
  const manifests = await loadFiles(files);
  const objs = manifests.map((m) => m.object).filter((o) => o.kind === fam.kind);
  if (!objs.length) throw new UsageError(`${files.join(', ')}: no ${fam.kind} found (kinds present: ${[...new Set(manifests.map((m) => m.object.kind))].join(', ') || 'none'})`);
  return objs;
}

function registerFamily(program: Command, fam: Family): void {
  const group = program.command(fam.command).description(`manage ${fam.noun}s`);
  const conn = (c: Command, all = false) => withConnection(c, { allNamespaces: all && !fam.cluster });

  conn(group.command('create').description(`create ${fam.noun}s from files`).argument('<files...>', 'YAML files').addOption(new Option('-o, --output <format>', 'json|yaml|name'))).action(
    async (files: string[], o) =>
      runVerb(o as ConnOptions, async (c) => {
        for (const obj of await readObjects(files, fam)) {
          if (!fam.cluster) obj.metadata.namespace = c.namespace;
          const created = await c.post<KObject>(fam.base(c), { ...(fam.cluster ? {} : { namespace: c.namespace }), [fam.field]: obj });
          if (o.output) print(created, o.output, fam);
          else process.stdout.write(`${fam.kind} ${created.metadata.name} created\n`);
        }
      }),
  );

  conn(group.command('update').description(`update ${fam.noun}s from files`).argument('<files...>', 'YAML files')).action(async (files: string[], o) =>
    runVerb(o as ConnOptions, async (c) => {
      for (const obj of await readObjects(files, fam)) {
        if (!fam.cluster) obj.metadata.namespace = c.namespace;
        const name = obj.metadata.name;
        if (!name) throw new UsageError(`${fam.kind} in ${files.join(', ')} has no metadata.name`);
        await c.put(`${fam.base(c)}/${enc(name)}`, { ...(fam.cluster ? {} : { namespace: c.namespace }), name, [fam.field]: obj });
        process.stdout.write(`${fam.kind} ${name} updated\n`);
      }
    }),
  );

  conn(group.command('list').description(`list ${fam.noun}s`).option('-l, --selector <selector>', 'label selector').addOption(new Option('-o, --output <format>', 'wide|name|json|yaml')), true).action(async (o) =>
    runVerb(o as ConnOptions, async (c) => {
      const q = o.selector ? `?listOptions.labelSelector=${enc(o.selector)}` : '';
      const list = await c.get<{ items: KObject[] | null }>(`${fam.base(c, c.allNamespaces)}${q}`);
      const items = (list.items ?? []).sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name!.localeCompare(b.metadata.name!));
      if (o.output === 'json') return void process.stdout.write(JSON.stringify(items, null, 2) + '\n');
      if (o.output === 'yaml') return void process.stdout.write(toYaml(items));
      if (o.output === 'name') return void items.forEach((i) => process.stdout.write(`${i.metadata.name}\n`));
      const ns = c.allNamespaces && !fam.cluster;
      let headers = [...(ns ? ['NAMESPACE'] : []), 'NAME'];
      let rows = items.map((i) => [...(ns ? [i.metadata.namespace ?? ''] : []), i.metadata.name ?? '']);
      if (fam.kind === 'CronWorkflow') {
        headers = [...headers, 'AGE', 'SCHEDULE', 'SUSPENDED'];
        rows = items.map((i, k) => [...rows[k], humanAge(i.metadata.creationTimestamp), (i as CronWorkflow).spec.schedule ?? ((i as CronWorkflow).spec.schedules ?? []).join(','), String(!!(i as CronWorkflow).spec.suspend)]);
      }
      if (!rows.length) return void process.stderr.write(`No ${fam.noun}s found\n`);
      process.stdout.write(table(headers, rows) + '\n');
    }),
  );

  conn(group.command('get').description(`show ${fam.noun}s`).argument('<names...>', 'names').addOption(new Option('-o, --output <format>', 'json|yaml|name'))).action(async (names: string[], o) =>
    runVerb(o as ConnOptions, async (c) => {
      for (const n of names) print(await c.get<KObject>(`${fam.base(c)}/${enc(n)}`), o.output, fam);
    }),
  );

  conn(group.command('delete').description(`delete ${fam.noun}s`).argument('[names...]', 'names').option('--all', `delete every ${fam.noun}`)).action(async (names: string[], o) =>
    runVerb(o as ConnOptions, async (c) => {
      let targets = names;
      if (o.all) targets = ((await c.get<{ items: KObject[] | null }>(fam.base(c))).items ?? []).map((i) => i.metadata.name!);
      else if (!names.length) throw new UsageError(`give ${fam.noun} names, or --all`);
      for (const n of targets) {
        await c.del(`${fam.base(c)}/${enc(n)}`);
        process.stdout.write(`${fam.kind} '${n}' deleted\n`);
      }
    }),
  );

  conn(group.command('lint').description(`validate ${fam.noun} files on the server`).argument('<files...>', 'YAML files')).action(async (files: string[], o) =>
    runVerb(o as ConnOptions, async (c) => {
      let problems = 0;
      for (const obj of await readObjects(files, fam)) {
        if (!fam.cluster) obj.metadata.namespace = c.namespace;
        try {
          await c.post(`${fam.base(c)}/lint`, { ...(fam.cluster ? {} : { namespace: c.namespace }), [fam.field]: obj });
        } catch (err) {
          problems++;
          process.stderr.write(`${fam.kind}/${obj.metadata.name ?? obj.metadata.generateName ?? ''}: ${(err as Error).message}\n`);
        }
      }
      if (problems) return EXIT_INVALID;
      process.stdout.write(`no linting errors found!\n`);
      return EXIT_OK;
    }),
  );

  if (fam.kind === 'CronWorkflow') {
    for (const verb of ['suspend', 'resume'] as const) {
      conn(group.command(verb).description(`${verb} scheduling of cron workflows`).argument('<names...>', 'names')).action(async (names: string[], o) =>
        runVerb(o as ConnOptions, async (c) => {
          for (const n of names) {
            await c.put(`${fam.base(c)}/${enc(n)}/${verb}`, { namespace: c.namespace, name: n });
            process.stdout.write(`CronWorkflow '${n}' ${verb === 'suspend' ? 'suspended' : 'resumed'}\n`);
          }
        }),
      );
    }
    conn(
      group
        .command('backfill')
        .description('create the runs a cron workflow would have made between --start and --end (inclusive), named <cron>-<unix seconds>')
        .argument('<name>', 'cron workflow name')
        .requiredOption('--start <time>', 'first time to consider (RFC 3339, e.g. 2026-01-01T00:00:00Z)')
        .option('--end <time>', 'last time to consider (default: now)')
        .option('--name <name>', 'backfill name (label workflows.argoproj.io/cron-workflow-backfill); random when omitted')
        .option('--parallel', 'run every backfill workflow at once (default: one at a time, oldest first)')
        .option('--argname <name>', 'workflow argument that receives the scheduled time', 'cronScheduleTime')
        .option('--maxworkflowcount <n>', 'refuse to create more than this many workflows', '1000')
        .option('--dry-run', 'list the scheduled times without creating anything')
        .addOption(new Option('-o, --output <format>', 'json|yaml')),
    ).action(async (name: string, o) =>
      runVerb(o as ConnOptions, async (c) => {
        const max = Number(o.maxworkflowcount);
        if (!Number.isInteger(max) || max <= 0) throw new UsageError(`--maxworkflowcount ${o.maxworkflowcount}: must be a positive whole number`);
        const r = await c.post<{ name: string; scheduledTimes: string[]; created: string[]; existing: string[] }>(`${fam.base(c)}/${enc(name)}/backfill`, {
          namespace: c.namespace,
          start: o.start,
          end: o.end,
          name: o.name,
          parallel: !!o.parallel,
          argName: o.argname,
          maxWorkflowCount: max,
          dryRun: !!o.dryRun,
        });
        if (o.output === 'json') return void process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        if (o.output === 'yaml') return void process.stdout.write(toYaml(r));
        if (!r.scheduledTimes.length) return void process.stdout.write('There is no suitable scheduling time.\n');
        process.stdout.write(`${o.dryRun ? 'Would create' : 'Created'} backfill ${r.name} for CronWorkflow ${name}: ${r.scheduledTimes.length} scheduled time(s)\n`);
        for (const w of r.created) process.stdout.write(`  created  ${w}\n`);
        for (const w of r.existing) process.stdout.write(`  exists   ${w}\n`);
        if (o.dryRun) for (const t of r.scheduledTimes) process.stdout.write(`  ${t}\n`);
      }),
    );
  }
}

export function registerTemplateCommands(program: Command): void {
  for (const fam of FAMILIES) registerFamily(program, fam);
}

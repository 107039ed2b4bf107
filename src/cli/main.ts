// The `argosy` command.
import { Command, CommanderError, Option } from 'commander';
import { isApiError } from '../model/errors.js';
import { EXIT_FAILED, EXIT_INVALID, UsageError } from './errors.js';
import { setAssetImporter } from '../node/asset-import.js';

export const VERSION = '0.1.0';

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * Verbs that talk to no server. Their process does not load the server verbs' code (`server`, `submit`,
 * `get`… and the remote client): about 30 ms of every `argosy run`'s start-up.
 */
const LOCAL_VERBS = new Set(['run', 'lint', 'conformance', 'version']);

function program(registerServerCommands?: (cmd: Command) => void): Command {
  const cmd = new Command('argosy')
    .description('Argo Workflows, on your laptop: runs Argo YAML unchanged with nothing but Node')
    .version(VERSION, '--version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  cmd
    .command('run')
    .description('run workflow files on an embedded control plane and wait for them to finish')
    .argument('<files...>', 'workflow YAML files (also loads any WorkflowTemplates, ConfigMaps and Secrets in them)')
    .option('-p, --parameter <name=value>', 'set a workflow parameter (repeatable)', collect, [])
    .option('-f, --parameter-file <file>', 'YAML or JSON map of parameter values')
    .option('--entrypoint <name>', 'override spec.entrypoint')
    .addOption(new Option('-o, --output <format>', 'print the final workflow as json|yaml|wide|name'))
    .option('--log', 'stream the logs of each step while it runs')
    .option('-n, --namespace <ns>', 'namespace to run in', 'default')
    .option('--data-dir <dir>', 'keep pod files, logs and artifacts here instead of a temporary directory')
    .addOption(new Option('--sandbox <mode>', 'process isolation').choices(['auto', 'bwrap', 'none']).default('auto'))
    .option('--fresh-sandboxes', "give every Pod a bubblewrap sandbox of its own instead of reusing warm ones (slower; the kernel hostname is then the Pod's name)")
    .action(async (files: string[], o) => {
      // Imported when used: the engine is only needed by `run` and `conformance`, not by the server verbs.
      const { runCommand } = await import('./run.js');
      process.exitCode = await runCommand(files, {
        parameter: o.parameter,
        parameterFile: o.parameterFile,
        entrypoint: o.entrypoint,
        output: o.output,
        log: o.log,
        namespace: o.namespace,
        dataDir: o.dataDir,
        sandbox: o.sandbox,
        warmSandboxes: !o.freshSandboxes,
      });
    });

  cmd
    .command('lint')
    .description("check workflow, template and cron files against Argo's validation rules")
    .argument('<paths...>', 'files or directories')
    .action(async (paths: string[]) => {
      const { lintCommand } = await import('./lint.js');
      process.exitCode = await lintCommand(paths);
    });

  cmd
    .command('conformance')
    .description('run a directory of Argo examples against expected.tsv and report a pass count')
    .argument('<dir>', 'directory holding examples/ and expected.tsv')
    .option('-j, --parallel <n>', 'workflows run at the same time', '6')
    .option('--floor <n>', 'fail (exit 1) when fewer than this many pass')
    .option('--only <regex>', 'only examples whose path matches')
    .option('--timeout <seconds>', 'per-workflow deadline (activeDeadlineSeconds injected, as upstream does)', '300')
    .action(async (dir: string, o) => {
      const { conformanceCommand } = await import('./conformance.js');
      process.exitCode = await conformanceCommand(dir, {
        parallel: Number(o.parallel),
        floor: o.floor !== undefined ? Number(o.floor) : undefined,
        only: o.only,
        timeoutSeconds: Number(o.timeout),
      });
    });

  registerServerCommands?.(cmd);

  cmd
    .command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`argosy: v${VERSION}\n`);
    });
  return cmd;
}

/** `importModule`: how to import the ES modules in src/node/ (see node/asset-import.ts); `import()` when not given. */
export async function main(argv: string[], opts: { importModule?: (url: string) => Promise<unknown> } = {}): Promise<void> {
  if (opts.importModule) setAssetImporter(opts.importModule);
  try {
    const register = LOCAL_VERBS.has(argv[0]) ? undefined : (await import('./server-commands.js')).registerServerCommands;
    await program(register).parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_INVALID;
      return;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    if (isApiError(err)) {
      process.stderr.write(`Error: ${err.message}\n`);
      process.exitCode = err.code >= 400 && err.code < 500 ? EXIT_INVALID : EXIT_FAILED;
      return;
    }
    process.stderr.write(`argosy: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = EXIT_FAILED;
  }
}

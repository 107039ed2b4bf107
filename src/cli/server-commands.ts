// Commands that talk to (or are) an Argosy server: `server`, `submit`, `list`, `get`, `logs`, …
// Registered on the root command by main.ts.
import type { Command } from 'commander';
import { registerArchiveCommands } from './remote/archive.js';
import { registerServerCommand } from './remote/server-cmd.js';
import { registerTemplateCommands } from './remote/templates.js';
import { registerWorkflowCommands } from './remote/workflows.js';

export function registerServerCommands(program: Command): void {
  registerServerCommand(program);
  registerWorkflowCommands(program);
  registerTemplateCommands(program);
  registerArchiveCommands(program);
}

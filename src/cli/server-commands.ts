// Commands that talk to (or are) an Argosy server: `server`, `submit`, `list`, `get`, `logs`, …
// Registered on the root command by main.ts.
import type { Command } from 'commander';

export function registerServerCommands(program: Command): void {
  void program;
}

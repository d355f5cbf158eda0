/** CLI commands of the training capability. */
import type { Command } from 'commander';
import type { CommandEnv } from '../commands/resource-commands.js';

/** Adds the training commands to the program; `env()` connects lazily. */
export function registerTrainingCommands(program: Command, env: () => CommandEnv): void {
  void program;
  void env;
}

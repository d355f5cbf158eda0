/** CLI commands of the models capability. */
import type { Command } from 'commander';
import type { CommandEnv } from '../commands/resource-commands.js';

/** Adds the models commands to the program; `env()` connects lazily. */
export function registerModelsCommands(program: Command, env: () => CommandEnv): void {
  void program;
  void env;
}

/** CLI commands of the serving capability. */
import type { Command } from 'commander';
import type { CommandEnv } from '../commands/resource-commands.js';

/** Adds the serving commands to the program; `env()` connects lazily. */
export function registerServingCommands(program: Command, env: () => CommandEnv): void {
  void program;
  void env;
}

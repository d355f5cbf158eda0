/** CLI commands of the kubernetes capability. */
import type { Command } from 'commander';
import type { CommandEnv } from '../commands/resource-commands.js';

/** Adds the kubernetes commands to the program; `env()` connects lazily. */
export function registerKubernetesCommands(program: Command, env: () => CommandEnv): void {
  void program;
  void env;
}

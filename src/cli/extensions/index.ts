/** Every capability's CLI commands. */
import type { Command } from 'commander';
import type { CommandEnv } from '../commands/resource-commands.js';
import { registerBackupCommands } from './backup-commands.js';
import { registerKubernetesCommands } from './kubernetes-commands.js';
import { registerModelsCommands } from './models-commands.js';
import { registerServingCommands } from './serving-commands.js';
import { registerTenancyCommands } from './tenancy-commands.js';
import { registerTrainingCommands } from './training-commands.js';
import { registerPipelinesCommands } from './pipelines-commands.js';
import { registerExperimentsCommands } from './experiments-commands.js';

/** Registers every capability's commands. */
export function registerExtensionCommands(program: Command, env: () => CommandEnv): void {
  for (const register of [registerModelsCommands, registerServingCommands, registerTrainingCommands, registerKubernetesCommands, registerTenancyCommands, registerBackupCommands, registerPipelinesCommands, registerExperimentsCommands]) register(program, env);
}

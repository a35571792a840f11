/**
 * Training a scoring model as a plain-data task for a worker thread (src/shared/workers/): closed examples and
 * the settings in, the model saved to its directory and its metadata out; progress comes back over a MessagePort.
 */
import type { MessagePort } from 'node:worker_threads';
import { saveNetwork } from './network';
import type { ModelMetadata } from './scorer';
import { initTensorflow, tf } from './tf-backend';
import { InsufficientDataError, trainScoringModel, type Example, type TrainSettings } from './trainer';

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
  | { metadata: ModelMetadata }
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
      const metadata: ModelMetadata = {
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

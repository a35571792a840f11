import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export { tf };

let ready: Promise<string> | undefined;

/**
 * Picks the fastest TensorFlow.js backend available, once per process: tfjs-node (native TensorFlow, an
 * optional dependency) when it installed, otherwise WebAssembly loaded from node_modules (no network).
 */
export function initTensorflow(log: (message: string) => void = () => undefined): Promise<string> {
  ready ??= (async () => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-node');
      await tf.setBackend('tensorflow');
    } catch {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
      wasm.setWasmPaths(dist);
      if (!(await tf.setBackend('wasm'))) await tf.setBackend('cpu');
    }
    await tf.ready();
    const backend = tf.getBackend();
    log(`TensorFlow.js ${tf.version.tfjs} on the ${backend} backend`);
    return backend;
  })();
  return ready;
}

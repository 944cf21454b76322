// Test build only: watches onnxruntime-web inside the engine worker. Counts the GPU-resident output tensors the engine
// receives and disposes (a leak shows as live ones after a run), and injects a failure into the next session run.

import * as ort from 'onnxruntime-web';
import type { GpuTensorStats } from './lab-api';

const stats = { created: 0, disposed: 0 };
let nextRunFailure: string | undefined;
let installed = false;

type Run = ort.InferenceSession['run'];

/** Wraps InferenceSession.prototype.run once (every session of the worker shares the prototype). */
export function instrumentOrt(): void {
  if (installed) return;
  installed = true;
  // The factory's type hides that it is a class (InferenceSessionImpl in onnxruntime-common): its prototype is real.
  const proto = (ort.InferenceSession as unknown as { prototype: { run: Run } }).prototype;
  const original = proto.run;
  proto.run = async function (this: ort.InferenceSession, ...args: Parameters<Run>) {
    if (nextRunFailure !== undefined) {
      const message = nextRunFailure;
      nextRunFailure = undefined;
      throw new RangeError(message);
    }
    const outputs = await original.apply(this, args);
    for (const tensor of Object.values(outputs)) {
      if (tensor.location !== 'gpu-buffer') continue;
      stats.created++;
      const dispose = tensor.dispose.bind(tensor);
      let done = false;
      tensor.dispose = () => {
        if (!done) stats.disposed++;
        done = true;
        dispose();
      };
    }
    return outputs;
  } as Run;
}

export function gpuTensorStats(): GpuTensorStats {
  return { ...stats, live: stats.created - stats.disposed };
}

/** The next session run anywhere in the worker throws RangeError(message) (as a failed WASM allocation does). */
export function failNextRun(message: string): void {
  nextRunFailure = message;
}

// The WebGPU device's health: a lost device (driver reset, GPU memory reclaimed, destroy()) is recorded as soon as the
// browser reports it, fails the running generation at once, and is final for this worker (ORT's WebGPU backend keeps
// the device it started with; the client starts a fresh worker).

import { VarError } from '../../src/shared/errors';

export function deviceLostError(reason: string): VarError {
  return new VarError(
    'E_GPU_DEVICE_LOST',
    'The GPU device was lost (a driver reset, or the system reclaimed GPU memory). The engine restarts: generate again.',
    { reason },
  );
}

export class DeviceWatch {
  /** Why the device was lost; undefined while it is fine. */
  lostReason: string | undefined;
  private signal: Promise<never> | undefined;

  /**
   * Starts watching `device` (once; later calls keep the first watch). `onLost` runs when it is lost, e.g. to drop
   * sessions that can no longer run.
   */
  watch(device: Promise<GPUDevice>, onLost: () => void): void {
    if (this.signal) return;
    this.signal = (async () => {
      const info = await (await device).lost;
      this.lostReason = info.message || String(info.reason);
      onLost();
      throw deviceLostError(this.lostReason);
    })();
    this.signal.catch(() => undefined); // observed by runs; no unhandled rejection when none is running
  }

  /** `work`, or E_GPU_DEVICE_LOST as soon as the device is lost: ORT's pending GPU work may then never settle. */
  race<T>(work: Promise<T>): Promise<T> {
    return this.signal ? Promise.race([work, this.signal]) : work;
  }

  /** A run error on WebGPU: E_GPU_DEVICE_LOST when it was (or reads like) a lost device, else undefined. */
  asDeviceLoss(error: unknown): VarError | undefined {
    const message = error instanceof Error ? error.message : String(error);
    if (this.lostReason || /device (is |was )?lost|GPUDevice|DeviceLost/i.test(message)) {
      return deviceLostError(this.lostReason ?? message);
    }
    return undefined;
  }
}

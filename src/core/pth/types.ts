// The reader's public contract: a checkpoint is a named set of lazily-read tensors.

export type DType =
  | 'float64'
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

export interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface TensorRef extends TensorInfo {
  /** Elements in the tensor (product of shape; 1 for a scalar). */
  readonly numel: number;
  /** Raw little-endian bytes of the tensor in C order (strides and storage offset applied), numel × itemsize. */
  readBytes(): Promise<Uint8Array>;
  /** Values as float32 (float16 / bfloat16 / float64 / integer types converted). */
  readFloat32(): Promise<Float32Array>;
  /** Values of an integer tensor as BigInt64Array (int64) or Int32Array (narrower ints); throws for floats. */
  readInt(): Promise<BigInt64Array | Int32Array>;
}

export interface Checkpoint {
  /** Source name (file name) for messages. */
  readonly name: string;
  /** Top-level folder inside the zip (e.g. "archive" or the file stem). */
  readonly archiveRoot: string;
  /** Tensors in state-dict order. */
  readonly tensors: ReadonlyMap<string, TensorRef>;
  /** Where the state dict sits inside a training checkpoint ("trainer.var_wo_ddp"); absent for a plain state dict. */
  readonly stateDictPath?: string;
}

// A lazily-read tensor: reads only its own byte span from the source and gathers strided views into C order.

import { VarError } from '../../shared/errors';
import type { ByteSource } from '../io/byte-source';
import { bytesToFloat32, bytesToInt, isFloatDType, itemSize } from './dtype';
import type { PickleTensor } from './pickle-values';
import type { DType, TensorRef } from './types';
import { type StoredRange, truncatedError } from './zip';

export class PthTensorRef implements TensorRef {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly numel: number;
  private readonly item: number;
  /** First and one-past-last storage element the view touches (empty when numel = 0). */
  private readonly spanStart: number;
  private readonly spanEnd: number;

  constructor(
    private readonly source: ByteSource,
    readonly name: string,
    private readonly tensor: PickleTensor,
    private readonly record: StoredRange,
  ) {
    this.dtype = tensor.storage.dtype;
    this.shape = tensor.shape;
    this.item = itemSize(this.dtype);
    this.numel = tensor.shape.reduce((a, b) => a * b, 1);
    let last = tensor.storageOffset;
    tensor.shape.forEach((n, i) => {
      last += (n - 1) * (tensor.stride[i] as number);
    });
    this.spanStart = tensor.storageOffset;
    this.spanEnd = this.numel === 0 ? tensor.storageOffset : last + 1;
    if (!Number.isSafeInteger(this.numel * this.item) || !Number.isSafeInteger(this.spanEnd * this.item)) {
      throw new VarError(
        'E_PICKLE_INVALID',
        `${source.name}: tensor ${name} has an impossible size [${this.shape.join(', ')}]`,
        {
          tensor: name,
        },
      );
    }
    this.checkSpan();
  }

  /** Fresh little-endian bytes in C order that own their whole ArrayBuffer (transferable, aligned for typed views). */
  async readBytes(): Promise<Uint8Array> {
    if (this.numel === 0) return new Uint8Array(0);
    const span = await this.source.read(
      this.record.offset + this.spanStart * this.item,
      (this.spanEnd - this.spanStart) * this.item,
    );
    const bytes = this.isContiguous() ? span : this.gather(span);
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  }

  async readFloat32(): Promise<Float32Array> {
    return bytesToFloat32(await this.readBytes(), this.dtype);
  }

  async readInt(): Promise<BigInt64Array | Int32Array> {
    if (isFloatDType(this.dtype)) {
      throw new VarError(
        'E_UNSUPPORTED_DTYPE',
        `${this.source.name}: ${this.name} is ${this.dtype}, not an integer tensor`,
        {
          tensor: this.name,
          dtype: this.dtype,
        },
      );
    }
    return bytesToInt(await this.readBytes(), this.dtype);
  }

  private checkSpan(): void {
    const storage = this.tensor.storage;
    if (this.spanEnd > storage.numel) {
      throw new VarError(
        'E_PICKLE_INVALID',
        `${this.source.name}: tensor ${this.name} (shape [${this.shape.join(', ')}], offset ${this.tensor.storageOffset}, ` +
          `stride [${this.tensor.stride.join(', ')}]) reaches element ${this.spanEnd} of a storage of ${storage.numel}`,
        { tensor: this.name },
      );
    }
    const needed = this.spanEnd * this.item;
    if (needed > this.record.size) {
      throw truncatedError(
        this.source,
        `storage record data/${storage.key} holds ${this.record.size} bytes but tensor ${this.name} needs ${needed}`,
        this.record.offset + needed,
      );
    }
  }

  /** C-order contiguous: every dimension longer than 1 has the stride of a dense row-major layout. */
  private isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const n = this.shape[i] as number;
      if (n !== 1 && this.tensor.stride[i] !== expected) return false;
      expected *= n;
    }
    return true;
  }

  /** Copies a strided view (e.g. a transposed weight) out of its storage span into C order. */
  private gather(span: Uint8Array): Uint8Array {
    const { shape, stride } = this.tensor;
    const item = this.item;
    const out = new Uint8Array(this.numel * item);
    const rank = shape.length;
    const inner = shape[rank - 1] as number;
    const innerStride = stride[rank - 1] as number;
    const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
    let o = 0;
    for (let row = 0, rows = this.numel / inner; row < rows; row++) {
      let base = 0;
      for (let d = 0; d < rank - 1; d++) base += (index[d] as number) * (stride[d] as number);
      if (innerStride === 1) {
        out.set(span.subarray(base * item, (base + inner) * item), o);
        o += inner * item;
      } else {
        for (let j = 0; j < inner; j++) {
          const s = (base + j * innerStride) * item;
          for (let b = 0; b < item; b++) out[o++] = span[s + b] as number;
        }
      }
      // Odometer over the outer dimensions, last one fastest.
      for (let d = rank - 2; d >= 0; d--) {
        index[d] = (index[d] as number) + 1;
        if ((index[d] as number) < (shape[d] as number)) break;
        index[d] = 0;
      }
    }
    return out;
  }
}

// A small typed API over onnx-proto for writing ONNX models by hand: inputs, initializers, nodes, external data.

import type { onnx } from 'onnx-proto';
import { VarError } from '../../shared/errors';
import { OnnxProto } from './onnx-proto';

export type TensorDType = 'float32' | 'float16' | 'float64' | 'int8' | 'uint8' | 'int32' | 'int64' | 'bool';

/** Element storage per dtype: float16 is passed as raw IEEE half bits, bool as 0/1 bytes. */
export interface TensorDataByType {
  float32: Float32Array;
  float16: Uint16Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}
export type TensorData = TensorDataByType[TensorDType];

/** A dimension: a fixed size, or a symbolic name ("B", "h") shared by every value that has the same size. */
export type Dim = number | string;

/**
 * Attribute values. JS numbers cannot say whether they are ints or floats, so plain numbers are INT (checked to be
 * integers) and floats are wrapped: `{ float: 1e-6 }`, `{ floats: [...] }`.
 */
export type AttrValue =
  | number
  | string
  | readonly number[]
  | readonly string[]
  | { readonly float: number }
  | { readonly floats: readonly number[] };
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface ExternalDataOptions {
  /** File name recorded in the model (`location`); ORT-web's `externalData[].path` must equal it. */
  readonly location: string;
  /** Initializers with at least this many bytes go to the external file(s); smaller ones stay inline. Default 1024. */
  readonly thresholdBytes?: number;
  /** Offset alignment of every tensor inside a file (typed-array views, mmap). Default 64. */
  readonly alignment?: number;
  /**
   * Start a new file before one would exceed this size (Chrome caps one ArrayBuffer near 2 GiB). Files after the
   * first are named `${location}.1`, `${location}.2`, … Default 1 GiB.
   */
  readonly maxFileBytes?: number;
}

/** A model whose external weights are produced one tensor at a time (memory bounded by the largest tensor). */
export interface StreamingModel {
  /** The serialized ModelProto (small: graph structure and the inline tensors). */
  readonly model: Uint8Array;
  readonly files: readonly ExternalFile[];
}

export interface ExternalFile {
  /** File name recorded in the model (`location`). */
  readonly location: string;
  readonly byteLength: number;
  /**
   * The file's bytes in order (alignment padding included); loads each lazy tensor only when it is reached. From
   * `start` on (a resumed write): tensors that end before it are skipped without being loaded.
   */
  chunks(start?: number): AsyncGenerator<Uint8Array>;
}

/** Produces an initializer's values when the model is written (a checkpoint read, a transpose, a quantization). */
export type LazyTensorData<D extends TensorDType> = () => Promise<TensorDataByType[D]>;

export interface BuiltModel {
  /** The serialized ModelProto. */
  readonly model: Uint8Array;
  /** External weight files by location (empty when everything is inline). */
  readonly externalData: ReadonlyMap<string, Uint8Array>;
}

/** ai.onnx opset of every model built here: the opset at which the WebGPU allowlist (webgpu-ops.ts) was checked. */
export const ONNX_OPSET = 17;
/** com.microsoft contrib opset (MultiHeadAttention and friends). */
export const MS_OPSET = 1;
/** IR version 8 is the one that introduced opset 17 (ONNX 1.12), and the newest onnx-proto 8.0.1 can encode. */
export const IR_VERSION = 8;

const DATA_TYPES: Readonly<Record<TensorDType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
const DATA_LOCATION_EXTERNAL = 1;

interface Initializer {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly dims: readonly number[];
  readonly byteLength: number;
  /** The bytes, or undefined while a lazy initializer has not been loaded. */
  bytes: Uint8Array | undefined;
  readonly load?: () => Promise<Uint8Array>;
}

const BYTES_PER_ELEMENT: Readonly<Record<TensorDType, number>> = {
  float32: 4,
  float16: 2,
  float64: 8,
  int8: 1,
  uint8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
};

function bytesOf(data: TensorData): Uint8Array {
  // Typed arrays are little-endian on every platform ORT-web runs on, which is what raw_data requires.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

interface ValueInfo {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly dims: readonly Dim[] | undefined;
}

export class GraphBuilder {
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly nodes: onnx.INodeProto[] = [];
  /** Every value name in use (inputs, initializers, node outputs) and every node name. */
  private readonly names = new Set<string>();
  private readonly constantCache = new Map<string, string>();
  private readonly scopes: string[] = [];
  private counter = 0;

  constructor(
    readonly name: string,
    private readonly docString = '',
  ) {}

  /** Declares a graph input; string dims are symbolic. Returns its name. */
  input(name: string, dtype: TensorDType, dims: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push({ name, dtype, dims: [...dims] });
    return name;
  }

  /** Declares a graph output (a value some node produces); dims may be omitted or symbolic. */
  output(name: string, dtype: TensorDType, dims?: readonly Dim[]): void {
    if (this.outputs.some((o) => o.name === name)) throw graphError(`Output ${name} declared twice`);
    this.outputs.push({ name, dtype, dims: dims === undefined ? undefined : [...dims] });
  }

  /**
   * Adds a named weight. `data` must have exactly prod(dims) elements; the builder keeps a view of it (no copy)
   * until toModel, so do not reuse the buffer before then. Returns the name.
   */
  initializer<D extends TensorDType>(
    name: string,
    dtype: D,
    dims: readonly number[],
    data: TensorDataByType[D],
  ): string {
    const numel = dims.reduce((a, b) => a * b, 1);
    if (data.length !== numel) {
      throw graphError(`Initializer ${name}: ${data.length} elements for dims [${dims.join(', ')}] (${numel})`);
    }
    this.claim(name);
    const bytes = bytesOf(data);
    this.initializers.push({ name, dtype, dims: [...dims], byteLength: bytes.byteLength, bytes });
    return name;
  }

  /**
   * Adds a weight whose values are produced only when the model is written (toStreamingModel) or materialized:
   * exporting a multi-GB checkpoint then holds one tensor at a time. Returns the name.
   */
  lazyInitializer<D extends TensorDType>(
    name: string,
    dtype: D,
    dims: readonly number[],
    load: LazyTensorData<D>,
  ): string {
    const numel = dims.reduce((a, b) => a * b, 1);
    this.claim(name);
    this.initializers.push({
      name,
      dtype,
      dims: [...dims],
      byteLength: numel * BYTES_PER_ELEMENT[dtype],
      bytes: undefined,
      load: async () => {
        const data = await load();
        if (data.length !== numel) {
          throw graphError(`Initializer ${name}: ${data.length} elements for dims [${dims.join(', ')}] (${numel})`);
        }
        return bytesOf(data);
      },
    });
    return name;
  }

  /** Loads every lazy initializer into memory, so that toModel() can serialize the whole model at once. */
  async materialize(): Promise<this> {
    for (const t of this.initializers) if (t.bytes === undefined && t.load) t.bytes = await t.load();
    return this;
  }

  /** A small auto-named constant (identical constants are shared). */
  constant<D extends TensorDType>(dtype: D, dims: readonly number[], data: TensorDataByType[D]): string {
    // Only small constants are keyed (and shared): shapes, scalars, axes.
    const key =
      data.length <= 64
        ? `${dtype}[${dims.join(',')}]${Array.from(data as ArrayLike<number | bigint>, String).join(',')}`
        : undefined;
    const cached = key === undefined ? undefined : this.constantCache.get(key);
    if (cached !== undefined) return cached;
    const name = this.uniqueName('const');
    this.initializer(name, dtype, dims, data);
    if (key !== undefined) this.constantCache.set(key, name);
    return name;
  }

  /** 1-D int64 constant, e.g. a Reshape target or Resize sizes. */
  int64s(values: readonly number[]): string {
    return this.constant(
      'int64',
      [values.length],
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  }

  /** 0-d float32 constant (broadcasts in Add/Mul, Clip bounds). */
  scalar(value: number): string {
    return this.constant('float32', [], Float32Array.of(value));
  }

  /**
   * Adds a node. `outputs` is a count of auto-named outputs (default 1) or explicit names. Pass '' for an omitted
   * optional input. Returns the output names.
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: number | readonly string[] = 1,
    attrs: Attrs = {},
    domain = '',
  ): string[] {
    for (const input of inputs) {
      if (input !== '' && !this.names.has(input)) {
        throw graphError(`${opType}: input ${input} is not defined (inputs, initializers or earlier node outputs)`);
      }
    }
    const nodeName = this.uniqueName(opType);
    this.names.add(nodeName);
    let outputNames: string[];
    if (typeof outputs === 'number') {
      outputNames = outputs === 1 ? [nodeName] : Array.from({ length: outputs }, (_, i) => `${nodeName}:${i}`);
    } else {
      outputNames = [...outputs];
    }
    for (const output of outputNames) if (output !== nodeName) this.claim(output);
    this.nodes.push({
      name: nodeName,
      opType,
      domain,
      input: [...inputs],
      output: outputNames,
      attribute: Object.entries(attrs).map(([name, value]) => encodeAttr(opType, name, value)),
    });
    return outputNames;
  }

  /** Single-output node; `out` names the output (e.g. a graph output), else it is auto-named. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Attrs = {},
    options: { out?: string; domain?: string } = {},
  ): string {
    const outputs = options.out === undefined ? 1 : [options.out];
    return this.node(opType, inputs, outputs, attrs, options.domain ?? '')[0] as string;
  }

  /** Runs `fn` with `scope` appended to the name prefix of auto-named nodes (names then echo the reference model). */
  scope<T>(scope: string, fn: () => T): T {
    this.scopes.push(scope);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** Serializes the graph; with `externalData`, large initializers go to separate files (no 2 GB protobuf limit). */
  toModel(options: { externalData?: ExternalDataOptions; producerVersion?: string } = {}): BuiltModel {
    const lazy = this.initializers.find((t) => t.bytes === undefined);
    if (lazy)
      throw graphError(`Initializer ${lazy.name} is lazy: await materialize() first, or use toStreamingModel()`);
    const layout = planLayout(this.initializers, options.externalData);
    const buffers = layout.files.map((f) => new Uint8Array(f.byteLength));
    layout.placements.forEach((p, i) => {
      if (p.file >= 0)
        (buffers[p.file] as Uint8Array).set((this.initializers[i] as Initializer).bytes as Uint8Array, p.offset);
    });
    const externalData = new Map(layout.files.map((f, i) => [f.location, buffers[i] as Uint8Array]));
    return { model: this.encode(layout.tensors, options.producerVersion), externalData };
  }

  /**
   * Serializes the graph with every initializer of at least `thresholdBytes` in external files that are produced
   * tensor by tensor: peak memory is the largest tensor, whatever the model's size. Small lazy tensors are loaded now.
   */
  async toStreamingModel(options: {
    externalData: ExternalDataOptions;
    producerVersion?: string;
  }): Promise<StreamingModel> {
    const threshold = options.externalData.thresholdBytes ?? DEFAULT_THRESHOLD;
    for (const t of this.initializers) {
      if (t.bytes === undefined && t.byteLength < threshold && t.load) t.bytes = await t.load();
    }
    const layout = planLayout(this.initializers, options.externalData);
    const files: ExternalFile[] = layout.files.map((f, fileIndex) => {
      const members = layout.placements
        .map((p, i) => ({ ...p, init: this.initializers[i] as Initializer }))
        .filter((p) => p.file === fileIndex);
      return {
        location: f.location,
        byteLength: f.byteLength,
        async *chunks(start = 0) {
          let written = 0;
          for (const m of members) {
            const end = m.offset + m.init.byteLength;
            if (end <= start) {
              written = end;
              continue;
            }
            const from = Math.max(written, start);
            if (m.offset > from) yield new Uint8Array(m.offset - from);
            const bytes = m.init.bytes ?? (await (m.init.load as () => Promise<Uint8Array>)());
            yield start > m.offset ? bytes.subarray(start - m.offset) : bytes;
            written = end;
          }
        },
      };
    });
    return { model: this.encode(layout.tensors, options.producerVersion), files };
  }

  private encode(tensors: onnx.ITensorProto[], producerVersion: string | undefined): Uint8Array {
    for (const output of this.outputs) {
      if (
        !this.nodes.some((n) => n.output?.includes(output.name)) &&
        !this.inputs.some((i) => i.name === output.name)
      ) {
        throw graphError(`Output ${output.name} is not produced by any node`);
      }
    }
    const model = OnnxProto.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'var-web',
      producerVersion: producerVersion ?? '0.1.0',
      opsetImport: [
        { domain: '', version: ONNX_OPSET },
        { domain: 'com.microsoft', version: MS_OPSET },
      ],
      graph: {
        name: this.name,
        docString: this.docString,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
        initializer: tensors,
        node: this.nodes,
      },
    });
    return OnnxProto.ModelProto.encode(model).finish();
  }

  /** Node count per op type so far (for reports). */
  opCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const node of this.nodes) counts.set(node.opType as string, (counts.get(node.opType as string) ?? 0) + 1);
    return counts;
  }

  private uniqueName(base: string): string {
    const prefix = this.scopes.length > 0 ? `${this.scopes.join('.')}/` : '';
    let name: string;
    do {
      name = `${prefix}${base}_${this.counter++}`;
    } while (this.names.has(name));
    return name;
  }

  private claim(name: string): void {
    if (name === '') throw graphError('Empty value name');
    if (this.names.has(name)) throw graphError(`Name ${name} is already used`);
    this.names.add(name);
  }
}

function graphError(message: string): VarError {
  return new VarError('E_GRAPH_INVALID', message);
}

function valueInfo(info: ValueInfo): onnx.IValueInfoProto {
  const shape =
    info.dims === undefined
      ? undefined
      : { dim: info.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name: info.name, type: { tensorType: { elemType: DATA_TYPES[info.dtype], shape } } };
}

function encodeAttr(opType: string, name: string, value: AttrValue): onnx.IAttributeProto {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw graphError(`${opType}.${name}: ${value} is not an integer; wrap floats as { float: x }`);
    }
    return { name, type: ATTR_TYPE.INT, i: value };
  }
  if (typeof value === 'string') return { name, type: ATTR_TYPE.STRING, s: utf8(value) };
  if (Array.isArray(value)) {
    if (value.every((v): v is number => typeof v === 'number')) {
      if (!value.every(Number.isSafeInteger)) throw graphError(`${opType}.${name}: ints must be integers`);
      return { name, type: ATTR_TYPE.INTS, ints: [...value] };
    }
    return { name, type: ATTR_TYPE.STRINGS, strings: (value as readonly string[]).map(utf8) };
  }
  if ('float' in value) return { name, type: ATTR_TYPE.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: ATTR_TYPE.FLOATS, floats: [...value.floats] };
  throw graphError(`${opType}.${name}: unsupported attribute value`);
}

/** UTF-8 bytes of a string (core code has no TextEncoder: lib ES2022 only). */
function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const c = char.codePointAt(0) as number;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

const DEFAULT_THRESHOLD = 1024;

interface Layout {
  readonly tensors: onnx.ITensorProto[];
  /** Per initializer: its external file index (−1 = inline) and byte offset there. */
  readonly placements: readonly { readonly file: number; readonly offset: number }[];
  readonly files: readonly { readonly location: string; readonly byteLength: number }[];
}

/** Places each initializer inline or at an aligned offset of an external file; returns the TensorProtos. */
function planLayout(initializers: readonly Initializer[], options: ExternalDataOptions | undefined): Layout {
  const threshold = options === undefined ? Number.POSITIVE_INFINITY : (options.thresholdBytes ?? DEFAULT_THRESHOLD);
  const alignment = options?.alignment ?? 64;
  const maxFileBytes = options?.maxFileBytes ?? 2 ** 30;
  if (!(alignment >= 1 && Number.isSafeInteger(alignment))) throw graphError(`Bad alignment ${alignment}`);

  const placements: { file: number; offset: number }[] = [];
  const fileSizes: number[] = [];
  for (const t of initializers) {
    if (t.byteLength < threshold) {
      placements.push({ file: -1, offset: 0 });
      continue;
    }
    let file = fileSizes.length - 1;
    let offset = file < 0 ? 0 : alignUp(fileSizes[file] as number, alignment);
    if (file < 0 || (offset + t.byteLength > maxFileBytes && offset > 0)) {
      file = fileSizes.length;
      offset = 0;
      fileSizes.push(0);
    }
    fileSizes[file] = offset + t.byteLength;
    placements.push({ file, offset });
  }
  const location = options?.location ?? '';
  const files = fileSizes.map((byteLength, i) => ({ location: i === 0 ? location : `${location}.${i}`, byteLength }));

  const tensors = initializers.map((t, i): onnx.ITensorProto => {
    const { file, offset } = placements[i] as { file: number; offset: number };
    const base = { name: t.name, dims: [...t.dims], dataType: DATA_TYPES[t.dtype] };
    if (file < 0) {
      if (t.bytes === undefined) throw graphError(`Initializer ${t.name} is inline but was never loaded`);
      return { ...base, rawData: t.bytes };
    }
    return {
      ...base,
      dataLocation: DATA_LOCATION_EXTERNAL,
      externalData: [
        { key: 'location', value: (files[file] as { location: string }).location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(t.byteLength) },
      ],
    };
  });
  return { tensors, placements, files };
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

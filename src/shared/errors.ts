// Errors that cross a boundary (worker → page, core → CLI) carry a stable code, a message for people and details.

export const ERROR_CODES = [
  // .pth reader
  'E_CHECKPOINT_TRUNCATED',
  'E_NOT_ZIP',
  'E_NOT_CHECKPOINT',
  'E_LEGACY_CHECKPOINT',
  'E_ZIP_UNSUPPORTED',
  'E_ZIP_CORRUPT',
  'E_PICKLE_FORBIDDEN_GLOBAL',
  'E_PICKLE_INVALID',
  'E_BIG_ENDIAN',
  'E_UNSUPPORTED_DTYPE',
  // state-dict validation
  'E_WRONG_CHECKPOINT_KIND',
  'E_UNKNOWN_CHECKPOINT_KIND',
  'E_MISSING_KEYS',
  'E_UNEXPECTED_KEYS',
  'E_SHAPE_MISMATCH',
  'E_UNSUPPORTED_ARCHITECTURE',
  // generation
  'E_BAD_SETTINGS',
  'E_BAD_CLASS',
  // editing (issue 16): the input image or mask cannot be used; the pack has no encoder/tokenizer graphs
  'E_BAD_IMAGE',
  'E_BAD_MASK',
  'E_PACK_NO_ENCODER',
  // engine
  'E_NETWORK',
  'E_GPU_DEVICE_LOST',
  // the engine's worker ended (crashed, killed, closed) or ran out of memory: the client starts a new one
  'E_WORKER_DIED',
  'E_OUT_OF_MEMORY',
  'E_NO_BACKEND',
  'E_UNKNOWN_MODEL',
  'E_PACK_UNSUPPORTED',
  // model store (IndexedDB): the download does not fit the origin's storage quota
  'E_QUOTA',
  // a stored item is in use (a conversion running in this tab or another cannot be deleted until it stops)
  'E_BUSY',
  // generic
  'E_IO',
  'E_ABORTED',
  'E_INTERNAL',
  // .npy reader, ONNX graph builder
  'E_NPY_INVALID',
  'E_GRAPH_INVALID',
  'E_GRAPH_UNSUPPORTED_OP',
  // model packs (convert, pack loading)
  'E_PACK_MISMATCH',
  'E_PACK_FORMAT',
  'E_PACK_VERSION',
  'E_PACK_CORRUPT',
  'E_PACK_EXISTS',
  'E_PACK_MISSING',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Plain-object form that survives structured clone (postMessage / comlink). */
export interface SerializedVarError {
  readonly name: 'VarError';
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export class VarError extends Error {
  override readonly name = 'VarError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  toJSON(): SerializedVarError {
    return this.details === undefined
      ? { name: 'VarError', code: this.code, message: this.message }
      : { name: 'VarError', code: this.code, message: this.message, details: this.details };
  }

  static fromJSON(value: SerializedVarError): VarError {
    return new VarError(value.code, value.message, value.details ? { ...value.details } : undefined);
  }

  static isSerialized(value: unknown): value is SerializedVarError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'VarError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (ERROR_CODES as readonly string[]).includes((value as { code: string }).code)
    );
  }
}

/** True when `error` is a VarError with the given code (works across realms, unlike instanceof). */
export function hasErrorCode(error: unknown, code: ErrorCode): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

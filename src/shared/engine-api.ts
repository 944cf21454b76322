// The one engine interface the page sees, whether the engine runs in a worker (comlink) or in-thread (tests).

import type { QuantVariant } from '../core/weight-quant/encodings';
import type { Capabilities } from './capabilities';

/** A model pack the engine can load (from the models index). */
export interface ModelInfo {
  /** Pack name, e.g. "tiny", "micro", "var_d16". */
  readonly id: string;
  /** What the model picker shows, e.g. "VAR-d16 (310M)". */
  readonly label: string;
  /** Random weights (test and synthetic packs): images are coloured noise. */
  readonly randomWeights: boolean;
  readonly imageSize: number;
  readonly patchNums: readonly number[];
  readonly numClasses: number;
  /** Total download size in bytes. */
  readonly bytes: number;
  /** Pack folder URL (ends with /). */
  readonly url: string;
  /** What this browser's model store holds of it. */
  readonly download: DownloadStatus;
  /**
   * True when the models index could not be read (offline) and the model was listed from the store: it runs with no
   * network. Models that are not complete in the store are then not listed at all.
   */
  readonly offline: boolean;
  /**
   * The pack carries the image encoder and tokenizer (`graphs.encoder`, issue 16), so it can edit images; packs
   * converted before editing existed generate but cannot edit (E_PACK_NO_ENCODER).
   */
  readonly canEdit: boolean;
}

export type DownloadState = 'downloaded' | 'partial' | 'not-downloaded';

export interface DownloadStatus {
  readonly state: DownloadState;
  /** Bytes of the pack in the store (complete files and the committed chunks of partial ones). */
  readonly storedBytes: number;
  readonly totalBytes: number;
}

/** What the origin's storage holds: the browser's figures and the cached models. */
export interface StorageUsage {
  /** `navigator.storage.estimate()`; undefined where the browser does not say. */
  readonly usedBytes: number | undefined;
  readonly quotaBytes: number | undefined;
  /** Whether the browser promised not to evict this origin's storage (`navigator.storage.persisted()`). */
  readonly persisted: boolean;
  /** Every model with bytes in the store, complete or partial. */
  readonly models: readonly StoredModelInfo[];
}

export interface StoredModelInfo {
  readonly id: string;
  readonly label: string;
  readonly download: DownloadStatus;
}

export type BackendChoice = 'auto' | 'webgpu' | 'wasm';

export interface GenerateParams {
  readonly modelId: string;
  readonly classId: number;
  /** Images in this run (1 … 8). Image i uses seed + i. */
  readonly count: number;
  readonly seed: number;
  readonly cfg: number;
  readonly topK: number;
  readonly topP: number;
  readonly moreSmooth: boolean;
  /** 'auto' = WebGPU when the probe found an adapter, else WASM. */
  readonly backend?: BackendChoice;
  /** Stream a preview image with each scale (default true; benchmarks turn it off to measure what previews cost). */
  readonly previews?: boolean;
  /** Largest latent side a preview decodes (default PREVIEW_MAX_LATENT in the engine); for benchmarks. */
  readonly previewMaxLatent?: number;
}

/**
 * An edit (issue 16): the image's tokens are kept outside the mask and generated inside it, scale by scale (teacher
 * forcing). Sampling fields as GenerateParams; one image a run. The result's image has `classId` −1 when none.
 */
export interface EditParams extends Omit<GenerateParams, 'classId' | 'count'> {
  /** Any size (at most 16384 a side, 40 MP): fitted with VAR's evaluation transform unless it is the model's size. */
  readonly image: Rgba;
  /** White = generate, black = keep; any size with the image's aspect ratio (E_BAD_MASK otherwise). */
  readonly mask: Rgba;
  /** The class to generate with, or null: none. */
  readonly classId: number | null;
}

/** RGBA pixels (row-major, 4 bytes a pixel), transferred rather than copied across the worker boundary. */
export interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

export interface ScaleUpdate {
  readonly runId: number;
  /** 0-based scale index and the scale count (10 for the 256px models). */
  readonly si: number;
  readonly scaleCount: number;
  /** Token map side at this scale. */
  readonly pn: number;
  /** Time of this scale and since the run started. */
  readonly scaleMs: number;
  readonly elapsedMs: number;
  /** 'gpu-buffer' when the KV cache and f_hat stayed on the GPU between scales (WebGPU), else 'cpu'. */
  readonly stateLocation: string;
  /** Preview of every image so far (null when dropped to keep up: previews never delay the final image). */
  readonly previews: readonly Rgba[] | null;
}

export interface GeneratedImage {
  readonly rgba: Rgba;
  readonly seed: number;
  readonly classId: number;
  /** The L token ids in scale order. */
  readonly ids: Int32Array;
}

export interface GenerationResult {
  readonly runId: number;
  readonly images: readonly GeneratedImage[];
  readonly backend: 'webgpu' | 'wasm';
  readonly timings: {
    /** Reading (or downloading) and verifying the pack's files, in the load of the model this run used. */
    readonly packMs: number;
    /** Creating the ORT sessions, in that same load (the figures stay while the model stays loaded). */
    readonly sessionMs: number;
    readonly firstPreviewMs: number;
    readonly totalMs: number;
    readonly decodeMs: number;
    /** Edits only: encoding and tokenising the input image (part of totalMs). */
    readonly encodeMs?: number;
  };
}

/** 'download': pack files arrive (from the network, or at once from the store); 'session': ORT sessions are ready. */
export type LoadPhase = 'download' | 'session';

export interface LoadProgress {
  readonly modelId: string;
  readonly phase: LoadPhase;
  /** The file that progressed ('' for the session phase). */
  readonly file: string;
  /** Bytes of that file done, and its size. */
  readonly fileLoadedBytes: number;
  readonly fileBytes: number;
  /** Bytes of the whole pack done (stored or downloaded), and its size. */
  readonly loadedBytes: number;
  readonly totalBytes: number;
}

export interface GenerateCallbacks {
  onProgress?(progress: LoadProgress): void;
  onScale?(update: ScaleUpdate): void;
}

export interface DownloadCallbacks {
  onProgress?(progress: LoadProgress): void;
}

/** A Blob or File, typed by what the engine uses (this contract also compiles without the DOM library). */
export interface FileLike {
  readonly size: number;
  readonly name?: string;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/** A checkpoint to convert: a URL (read with Range requests) or a local file (the page's file input, a drop). */
export type CheckpointSource = { readonly url: string } | { readonly file: FileLike; readonly name?: string };

export interface ConvertRequest {
  /** The VAR transformer checkpoint (a state dict, or a trainer checkpoint with it under trainer.var_wo_ddp). */
  readonly var?: CheckpointSource;
  readonly vae?: CheckpointSource;
  /** Instead of var/vae: two local files in any order, told apart by their keys. */
  readonly files?: readonly FileLike[];
  /** How weights are stored (`npm run convert --quant`); default 'q4'. */
  readonly quant?: QuantVariant;
}

/**
 * 'checking': the checkpoints' directories and pickles are read and the pair validated (nothing is written before
 * this passes); 'hashing': local files are hashed for the manifest (URLs take the Hub's listing instead);
 * 'converting': tensors are fetched, converted and written to the store (an interrupted conversion resumes here);
 * 'writing': the manifest, which lists the model.
 */
export type ConvertPhase = 'checking' | 'hashing' | 'converting' | 'writing';

export interface ConvertProgress {
  readonly phase: ConvertPhase;
  /** The pack's name once planned ('' before). */
  readonly name: string;
  /** Both checkpoints' sizes (from the server's Content-Length for URLs): what "downloads 1.7 GB" means. */
  readonly checkpointBytes: number;
  /** Checkpoint bytes received over the network in this run (retries included). */
  readonly fetchedBytes: number;
  /** Local checkpoint bytes hashed ('hashing'). */
  readonly hashedBytes: number;
  readonly tensorsDone: number;
  readonly tensorsTotal: number;
  /** Pack bytes written to the store, of `packBytes` (those kept from an interrupted run included). */
  readonly packBytesDone: number;
  readonly packBytes: number;
  /** Pack bytes an earlier, interrupted conversion had written: not converted again. */
  readonly resumedBytes: number;
  /** The pack file being written, its bytes written and its size. */
  readonly file: string;
  readonly fileBytesDone: number;
  readonly fileBytes: number;
}

export interface ConvertCallbacks {
  onProgress?(progress: ConvertProgress): void;
}

export interface VarEngine {
  /** Probes the device once; later calls return the same frozen table. */
  capabilities(): Promise<Capabilities>;
  /**
   * The packs listed in the models index (`models/index.json` under the app's base URL) with what the store holds of
   * each; when the index cannot be fetched, the models complete in the store (`offline: true`).
   */
  listModels(): Promise<ModelInfo[]>;
  /**
   * Downloads a model into the store without generating (resuming what an earlier download left) and verifies every
   * file. Fails with E_QUOTA when it cannot fit, E_NETWORK, E_PACK_CORRUPT, or E_ABORTED after cancelDownload().
   */
  downloadModel(modelId: string, callbacks?: DownloadCallbacks): Promise<ModelInfo>;
  /** Stops the running downloadModel(); the chunks already stored are kept for the next download. */
  cancelDownload(): Promise<void>;
  /** Removes a model's files from the store (files another stored model shares stay), releasing it if loaded. */
  deleteModel(modelId: string): Promise<StorageUsage>;
  /** The browser's storage figures and the cached models. */
  storageUsage(): Promise<StorageUsage>;
  /**
   * Generates `count` images, streaming one update per scale. A new call while one runs cancels the running one
   * (it rejects with E_ABORTED) and starts after it stopped: the latest request wins.
   */
  generate(params: GenerateParams, callbacks?: GenerateCallbacks): Promise<GenerationResult>;
  /**
   * Edits an image (EditParams): streams one update per scale like generate(), and shares its queue (the latest
   * request wins). E_PACK_NO_ENCODER for packs converted before editing existed; E_BAD_IMAGE / E_BAD_MASK.
   */
  edit(params: EditParams, callbacks?: GenerateCallbacks): Promise<GenerationResult>;
  /** Cancels the running generation, if any, within one scale. */
  cancel(): Promise<void>;
  /**
   * Converts a VAR and a VQ-VAE checkpoint into a pack in the store (the same files as `npm run convert`), then lists
   * it. Reads only what the pack needs; resumes a conversion of the same inputs that was interrupted. Rejects with the
   * reader's and validator's codes for bad inputs (nothing is written then), E_NETWORK, E_QUOTA, or E_ABORTED after
   * cancelConversion() (what was written is kept for the next try).
   */
  convertModel(request: ConvertRequest, callbacks?: ConvertCallbacks): Promise<ModelInfo>;
  /**
   * Stops the running convertModel() (within one tensor) or addModelPack(); what was written stays for the next try
   * with the same inputs.
   */
  cancelConversion(): Promise<void>;
  /**
   * Adds a hosted pack (a folder URL holding manifest.json, as `npm run convert` writes it) and downloads it into the
   * store, verified file by file. E_NETWORK, E_PACK_FORMAT (not a pack), E_PACK_CORRUPT, E_QUOTA, E_ABORTED.
   */
  addModelPack(packUrl: string, callbacks?: DownloadCallbacks): Promise<ModelInfo>;
}

/** What an engine running in a worker adds for its client: the death watch (see engine-client.ts). */
export interface WorkerEngine extends VarEngine {
  /** Holds the Web Lock `name` for as long as the worker lives; resolves once it is held. */
  holdLifeLock(name: string): Promise<void>;
}

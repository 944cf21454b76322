// Validates a manifest.json read from anywhere (folder, HTTP, cache) before any of its numbers or paths are trusted.

import { VarError } from '../../shared/errors';
import type { PackManifest } from './manifest';
import { PACK_FORMAT, PACK_FORMAT_VERSION } from './manifest';

const ENCODINGS = ['float32', 'float16', 'q8', 'q4'] as const;
/** Per-tensor 4-bit encodings: "q4-b128", "q4z-b32" (block sizes MatMulNBits runs everywhere: powers of 2 ≥ 16). */
const Q4_BLOCK_ENCODING = /^q4z?-b(\d+)$/;
const QUANT_VARIANTS = ['q4', 'q8', 'fp16', 'none'] as const;
const SYNTHETIC = ['d16', 'd20', 'd24', 'd30', 'micro'] as const;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const PACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A path a pack may name: relative, forward slashes, no `.`/`..`/empty segments, no backslash, drive letter or
 * control character. Anything else could read or write outside the pack folder (or the cache scope) it belongs to.
 */
export function isSafePackPath(path: string): boolean {
  if (path.length === 0 || path.length > 255) return false;
  if (path.startsWith('/') || path.includes('\\') || /^[A-Za-z]:/.test(path)) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused here.
  if (/[\u0000-\u001f\u007f]/.test(path)) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** A pack name: letters, digits, `.`, `_`, `-` (it becomes part of cache keys and URLs). */
export function isPackName(name: string): boolean {
  return name.length <= 100 && PACK_NAME.test(name);
}

/**
 * Checks format, version, every field's type, path safety and that every file a graph or the codebook names is
 * listed (with size and sha256); returns the manifest typed. `where` names the manifest in messages.
 */
export function parsePackManifest(json: unknown, where: string): PackManifest {
  const m = new Checker(where);
  const root = m.object(json, '');
  if (root.format !== PACK_FORMAT) {
    throw new VarError(
      'E_PACK_FORMAT',
      `${where} is not a var-web model pack manifest (format ${JSON.stringify(root.format ?? null)}, expected "${PACK_FORMAT}")`,
      { where },
    );
  }
  const version = root.formatVersion;
  if (version !== PACK_FORMAT_VERSION) {
    const age =
      typeof version === 'number' && version > PACK_FORMAT_VERSION
        ? 'a newer'
        : typeof version === 'number'
          ? 'an older'
          : 'an unknown';
    throw new VarError(
      'E_PACK_VERSION',
      `${where}: this pack was written by ${age} var-web (format v${String(version)}); this version reads format v${PACK_FORMAT_VERSION}, re-convert it with this version (npm run convert)`,
      { where, formatVersion: version, expected: PACK_FORMAT_VERSION },
    );
  }

  const name = m.string(root.name, 'name');
  if (!isPackName(name)) m.fail('name', `must be letters, digits, ".", "_" or "-" (got ${JSON.stringify(name)})`);
  m.string(root.label, 'label');
  if (root.synthetic !== false && !SYNTHETIC.includes(root.synthetic as (typeof SYNTHETIC)[number])) {
    m.fail('synthetic', `must be false or one of ${SYNTHETIC.join(', ')}`);
  }
  m.boolean(root.randomWeights, 'randomWeights');
  if (root.seed !== undefined) m.int(root.seed, 'seed', 0);
  m.string(root.createdBy, 'createdBy');
  if (root.source !== null) {
    const source = m.object(root.source, 'source');
    m.packFile(source.var, 'source.var', false);
    m.packFile(source.vae, 'source.vae', false);
  }

  const v = m.object(root.var, 'var');
  for (const key of ['depth', 'width', 'heads', 'headDim', 'mlpHidden', 'numTokens', 'numClasses', 'vocabSize', 'cvae'])
    m.int(v[key], `var.${key}`, 1);
  m.boolean(v.sharedAdaLN, 'var.sharedAdaLN');
  const patchNums = m.intArray(v.patchNums, 'var.patchNums', 1);
  const q = m.object(root.vqvae, 'vqvae');
  for (const key of ['ch', 'zChannels', 'vocabSize', 'phiCount', 'numScales', 'inChannels'])
    m.int(q[key], `vqvae.${key}`, 1);
  m.int(q.numResBlocks, 'vqvae.numResBlocks', 0);
  m.intArray(q.chMult, 'vqvae.chMult', 1);
  m.boolean(q.usingSa, 'vqvae.usingSa');
  m.boolean(q.usingMidSa, 'vqvae.usingMidSa');

  const topPatchNums = m.intArray(root.patchNums, 'patchNums', 1);
  if (topPatchNums.join() !== patchNums.join()) m.fail('patchNums', `differs from var.patchNums`);
  if (m.int(root.numClasses, 'numClasses', 1) !== v.numClasses) m.fail('numClasses', 'differs from var.numClasses');
  m.int(root.imageSize, 'imageSize', 1);

  const files = new Map<string, number>();
  if (!Array.isArray(root.files) || root.files.length === 0) m.fail('files', 'must be a non-empty array');
  (root.files as unknown[]).forEach((file, i) => {
    const { path, bytes } = m.packFile(file, `files[${i}]`, true);
    if (files.has(path)) m.fail(`files[${i}].path`, `${path} is listed twice`);
    files.set(path, bytes);
  });
  const listed = (path: string, at: string): string => {
    if (!files.has(path)) m.fail(at, `names ${path}, which is not in files`);
    return path;
  };

  const codebook = m.object(root.codebook, 'codebook');
  const codebookPath = listed(m.path(codebook.path, 'codebook.path'), 'codebook.path');
  const dims = m.intArray(codebook.dims, 'codebook.dims', 1);
  const [rows, cols] = dims as [number, number];
  if (dims.length !== 2 || rows !== q.vocabSize || cols !== q.zChannels) {
    m.fail('codebook.dims', `must be [vqvae.vocabSize, vqvae.zChannels] = [${q.vocabSize}, ${q.zChannels}]`);
  }
  if (files.get(codebookPath) !== 4 * rows * cols) {
    m.fail('codebook', `file ${codebookPath} must hold ${rows}×${cols} float32 values (${4 * rows * cols} bytes)`);
  }

  if (root.quant !== undefined && !QUANT_VARIANTS.includes(root.quant as (typeof QUANT_VARIANTS)[number])) {
    m.fail('quant', `must be one of ${QUANT_VARIANTS.join(', ')}`);
  }
  // Any non-empty strings: a requirement this version does not know is refused when the pack is chosen
  // (requirements.ts), not here, so that the message can say which capability is missing.
  if (root.requires !== undefined) {
    if (!Array.isArray(root.requires)) m.fail('requires', 'must be an array of capability names');
    (root.requires as unknown[]).forEach((r, i) => {
      m.string(r, `requires[${i}]`);
    });
  }

  const graphs = m.object(root.graphs, 'graphs');
  // encoder + tokenizer (editing) are optional, but only together: one without the other cannot edit.
  const editGraphs = ['encoder', 'tokenizer'].filter((key) => graphs[key] !== undefined);
  if (editGraphs.length === 1) {
    const missing = editGraphs[0] === 'encoder' ? 'tokenizer' : 'encoder';
    m.fail(`graphs.${missing}`, `must be present when graphs.${editGraphs[0]} is (the two edit graphs come together)`);
  }
  for (const key of ['transformer', 'quantizer', 'decoder', ...editGraphs]) {
    const graph = m.object(graphs[key], `graphs.${key}`);
    listed(m.path(graph.model, `graphs.${key}.model`), `graphs.${key}.model`);
    if (!Array.isArray(graph.externalData)) m.fail(`graphs.${key}.externalData`, 'must be an array of paths');
    (graph.externalData as unknown[]).forEach((p, i) => {
      listed(m.path(p, `graphs.${key}.externalData[${i}]`), `graphs.${key}.externalData[${i}]`);
    });
    m.encoding(graph.weights, `graphs.${key}.weights`);
    if (graph.tensors !== undefined) {
      for (const [tensor, encoding] of Object.entries(m.object(graph.tensors, `graphs.${key}.tensors`)))
        m.encoding(encoding, `graphs.${key}.tensors.${tensor}`);
    }
  }
  const attention = (graphs.transformer as Record<string, unknown>).attention;
  if (attention !== 'matmul' && attention !== 'mha')
    m.fail('graphs.transformer.attention', 'must be "matmul" or "mha"');
  const activations = (graphs.transformer as Record<string, unknown>).activations;
  if (activations !== undefined && activations !== 'float32' && activations !== 'float16')
    m.fail('graphs.transformer.activations', 'must be "float32" or "float16" when present');
  return json as PackManifest;
}

/** Field checks that throw E_PACK_FORMAT naming the manifest and the field. */
class Checker {
  constructor(private readonly where: string) {}

  fail(field: string, problem: string): never {
    throw new VarError('E_PACK_FORMAT', `${this.where}: ${field || 'the manifest'} ${problem}`, {
      where: this.where,
      field,
    });
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be an object');
    return value as Record<string, unknown>;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(field, 'must be a non-empty string');
    return value;
  }

  boolean(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') this.fail(field, 'must be true or false');
    return value;
  }

  int(value: unknown, field: string, min: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      this.fail(field, `must be an integer ≥ ${min} (got ${JSON.stringify(value ?? null)})`);
    }
    return value;
  }

  intArray(value: unknown, field: string, min: number): number[] {
    if (!Array.isArray(value) || value.length === 0) this.fail(field, 'must be a non-empty array of integers');
    return value.map((v, i) => this.int(v, `${field}[${i}]`, min));
  }

  path(value: unknown, field: string): string {
    const path = this.string(value, field);
    if (!isSafePackPath(path)) {
      this.fail(field, `${JSON.stringify(path)} is not a safe relative path (no leading /, no .., no backslash)`);
    }
    return path;
  }

  encoding(value: unknown, field: string): void {
    if (ENCODINGS.includes(value as (typeof ENCODINGS)[number])) return;
    const block = typeof value === 'string' ? Q4_BLOCK_ENCODING.exec(value) : null;
    const size = block ? Number(block[1]) : 0;
    if (size >= 16 && (size & (size - 1)) === 0) return;
    this.fail(field, `must be one of ${ENCODINGS.join(', ')}, or q4-b<block> / q4z-b<block> (a power of 2 ≥ 16)`);
  }

  /** A {path, bytes, sha256} entry; `packPath` requires a safe relative path (source files only need a name). */
  packFile(value: unknown, field: string, packPath: boolean): { path: string; bytes: number } {
    const file = this.object(value, field);
    const path = packPath ? this.path(file.path, `${field}.path`) : this.string(file.path, `${field}.path`);
    const bytes = this.int(file.bytes, `${field}.bytes`, 0);
    if (typeof file.sha256 !== 'string' || !SHA256_HEX.test(file.sha256)) {
      this.fail(`${field}.sha256`, 'must be 64 lower-case hex digits');
    }
    return { path, bytes };
  }
}

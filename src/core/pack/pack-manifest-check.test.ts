// parsePackManifest accepts what convert writes and refuses other formats, other versions, bad fields and unsafe paths.

import { beforeAll, describe, expect, it } from 'vitest';
import { planPack } from './build-pack';
import { PACK_FORMAT_VERSION, type PackManifest } from './manifest';
import { isSafePackPath, parsePackManifest } from './pack-manifest-check';

type Json = Record<string, unknown>;

let valid: PackManifest;

beforeAll(async () => {
  // A real draft (micro architecture, planned only) with made-up hashes.
  const plan = await planPack({ kind: 'synthetic', architecture: 'micro' });
  valid = {
    ...plan.manifest,
    files: plan.files.map((f) => ({ path: f.path, bytes: f.byteLength, sha256: 'a'.repeat(64) })),
  };
});

/** A deep copy of the valid manifest with `edit` applied. */
function variant(edit: (m: Json) => void): Json {
  const copy = JSON.parse(JSON.stringify(valid)) as Json;
  edit(copy);
  return copy;
}

function rejects(json: unknown, code: string, message: RegExp): void {
  expect(() => parsePackManifest(json, 'pack/manifest.json')).toThrow(
    expect.objectContaining({ code, message: expect.stringMatching(message) }),
  );
}

describe('parsePackManifest', () => {
  it('accepts a manifest as convert writes it', () => {
    expect(parsePackManifest(JSON.parse(JSON.stringify(valid)), 'm')).toEqual(valid);
  });

  it('accepts a pack without the edit graphs (written before issue 16), but not one of the two alone', () => {
    expect(valid.graphs.encoder).toBeDefined();
    const before = variant((m) => {
      const graphs = m.graphs as Json;
      delete graphs.encoder;
      delete graphs.tokenizer;
    });
    expect(parsePackManifest(before, 'm').graphs.encoder).toBeUndefined();
    rejects(
      variant((m) => delete (m.graphs as Json).tokenizer),
      'E_PACK_FORMAT',
      /graphs\.tokenizer must be present when graphs\.encoder is/,
    );
    rejects(
      variant((m) => ((m.graphs as { encoder: Json }).encoder.model = 'missing.onnx')),
      'E_PACK_FORMAT',
      /graphs\.encoder\.model names missing\.onnx, which is not in files/,
    );
  });

  it('refuses other formats', () => {
    rejects(null, 'E_PACK_FORMAT', /pack\/manifest\.json/);
    rejects([], 'E_PACK_FORMAT', /must be an object/);
    rejects({ name: 'x' }, 'E_PACK_FORMAT', /not a var-web model pack manifest/);
    rejects(
      variant((m) => (m.format = 'onnx')),
      'E_PACK_FORMAT',
      /format "onnx"/,
    );
  });

  it('refuses other format versions, saying which side is newer', () => {
    const newer = variant((m) => (m.formatVersion = PACK_FORMAT_VERSION + 1));
    rejects(newer, 'E_PACK_VERSION', /written by a newer var-web \(format v2\).*re-convert it with this version/);
    rejects(
      variant((m) => (m.formatVersion = 0)),
      'E_PACK_VERSION',
      /an older var-web/,
    );
    rejects(
      variant((m) => delete m.formatVersion),
      'E_PACK_VERSION',
      /an unknown var-web/,
    );
  });

  it('refuses missing or mistyped fields, naming them', () => {
    rejects(
      variant((m) => delete m.label),
      'E_PACK_FORMAT',
      /label must be a non-empty string/,
    );
    rejects(
      variant((m) => ((m.var as Json).depth = 2.5)),
      'E_PACK_FORMAT',
      /var\.depth must be an integer/,
    );
    rejects(
      variant((m) => (m.patchNums = [1, 2, 3])),
      'E_PACK_FORMAT',
      /patchNums differs from var\.patchNums/,
    );
    rejects(
      variant((m) => (m.synthetic = 'd99')),
      'E_PACK_FORMAT',
      /synthetic must be false or one of/,
    );
    rejects(
      variant(
        (m) => ((m.graphs as Json).transformer = { ...((m.graphs as Json).transformer as Json), attention: 'x' }),
      ),
      'E_PACK_FORMAT',
      /attention must be "matmul" or "mha"/,
    );
    rejects(
      variant((m) => (((m.files as Json[])[0] as Json).sha256 = 'ABC')),
      'E_PACK_FORMAT',
      /files\[0\]\.sha256 must be 64 lower-case hex digits/,
    );
    rejects(
      variant((m) => (m.name = 'my pack')),
      'E_PACK_FORMAT',
      /name must be letters, digits/,
    );
    rejects(
      variant((m) => ((m.codebook as Json).dims = [4096, 16])),
      'E_PACK_FORMAT',
      /codebook\.dims must be \[vqvae\.vocabSize, vqvae\.zChannels\] = \[4096, 32\]/,
    );
  });

  it('requires every graph file and the codebook to be listed in files', () => {
    const withoutDecoderData = variant((m) => {
      m.files = (m.files as Json[]).filter((f) => f.path !== 'decoder.data');
    });
    rejects(
      withoutDecoderData,
      'E_PACK_FORMAT',
      /graphs\.decoder\.externalData\[0\] names decoder\.data, which is not in files/,
    );
    const twice = variant((m) => {
      m.files = [...(m.files as Json[]), (m.files as Json[])[0]];
    });
    rejects(twice, 'E_PACK_FORMAT', /listed twice/);
  });

  it('refuses unsafe paths anywhere', () => {
    for (const path of ['/etc/passwd', '../secret', 'a/../../b', 'C:\\x', 'a\\b', './x', 'a//b', '']) {
      expect(isSafePackPath(path), path).toBe(false);
      const m = variant((json) => {
        const files = json.files as Json[];
        (files[0] as Json).path = path;
        ((json.graphs as Json).transformer as Json).model = path;
      });
      expect(() => parsePackManifest(m, 'm'), path).toThrow(expect.objectContaining({ code: 'E_PACK_FORMAT' }));
    }
    expect(isSafePackPath('weights/transformer.data.1')).toBe(true);
  });
});

describe('parsePackManifest of quantized packs', () => {
  async function manifestOf(quant: 'q4' | 'fp16'): Promise<Json> {
    const plan = await planPack({ kind: 'synthetic', architecture: 'micro' }, { quant });
    return JSON.parse(
      JSON.stringify({
        ...plan.manifest,
        files: plan.files.map((f) => ({ path: f.path, bytes: f.byteLength, sha256: 'a'.repeat(64) })),
      }),
    ) as Json;
  }

  it('accepts per-tensor encodings, the variant and requirements as convert writes them', async () => {
    const q4 = await manifestOf('q4');
    const parsed = parsePackManifest(q4, 'm');
    expect(parsed.quant).toBe('q4');
    expect(parsed.requires).toBeUndefined();
    expect(parsed.graphs.transformer.tensors).toMatchObject({
      'blocks.0.ffn.fc1.weight': 'q4-b64', // micro: K = 64 < 128, so 64-value blocks
      'blocks.0.ffn.fc2.weight': 'q4-b128', // K = 256
      'class_emb.weight': 'q8',
      'word_embed.weight': 'float32',
    });
    expect(parsePackManifest(await manifestOf('fp16'), 'm').requires).toEqual(['shader-f16']);
  });

  it('refuses unknown encodings, block sizes JSEP cannot run, unknown variants and malformed requirements', async () => {
    const q4 = await manifestOf('q4');
    const edit = (f: (m: Json) => void): Json => {
      const copy = JSON.parse(JSON.stringify(q4)) as Json;
      f(copy);
      return copy;
    };
    const tensors = (m: Json) => ((m.graphs as Json).transformer as Json).tensors as Json;
    for (const bad of ['q3', 'q4-b24', 'q4-b8', 'q4z-b', 'int8']) {
      rejects(
        edit((m) => (tensors(m)['head.weight'] = bad)),
        'E_PACK_FORMAT',
        /graphs\.transformer\.tensors\.head\.weight must be one of float32, float16, q8, q4, or q4-b<block>/,
      );
    }
    rejects(
      edit((m) => (m.quant = 'int2')),
      'E_PACK_FORMAT',
      /quant must be one of q4, q8, fp16, none/,
    );
    rejects(
      edit((m) => (m.requires = 'shader-f16')),
      'E_PACK_FORMAT',
      /requires must be an array/,
    );
    rejects(
      edit((m) => (m.requires = [''])),
      'E_PACK_FORMAT',
      /requires\[0\] must be a non-empty string/,
    );
    // A requirement this version does not know still parses: the engine refuses it by name (requirements.ts).
    expect(
      parsePackManifest(
        edit((m) => (m.requires = ['subgroups-f16'])),
        'm',
      ).requires,
    ).toEqual(['subgroups-f16']);
  });
});

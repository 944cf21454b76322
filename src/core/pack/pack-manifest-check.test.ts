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

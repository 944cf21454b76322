// Tells a VAR transformer state dict from a VQ-VAE one by its key names, so a swapped file gets a clear message.

import { VarError } from '../../shared/errors';

export type CheckpointKind = 'var' | 'vqvae';

const LABEL: Readonly<Record<CheckpointKind, string>> = {
  var: 'VAR transformer checkpoint',
  vqvae: 'VQ-VAE checkpoint',
};

const EXAMPLE: Readonly<Record<CheckpointKind, string>> = {
  var: 'var_d16.pth',
  vqvae: 'vae_ch160v4096z32.pth',
};

const VAR_MARKERS = [/^pos_1LC$/, /^pos_start$/, /^class_emb\.weight$/, /^blocks\.\d+\.attn\./, /^head_nm\./];
const VQVAE_MARKERS = [/^encoder\./, /^decoder\./, /^quantize\./, /^post_quant_conv\./];

export function checkpointKindLabel(kind: CheckpointKind): string {
  return LABEL[kind];
}

/** 'var' or 'vqvae' from the key names; E_UNKNOWN_CHECKPOINT_KIND when neither (or both) sets of keys are present. */
export function detectCheckpointKind(names: Iterable<string>, file = 'checkpoint'): CheckpointKind {
  const list = [...names];
  const isVar = list.some((n) => VAR_MARKERS.some((m) => m.test(n)));
  const isVqvae = list.some((n) => VQVAE_MARKERS.some((m) => m.test(n)));
  if (isVar !== isVqvae) return isVar ? 'var' : 'vqvae';
  const first = list.slice(0, 6).join(', ') || 'no tensors';
  const why = isVar
    ? 'it mixes VAR transformer keys (pos_1LC, blocks.*) and VQ-VAE keys (encoder.*, decoder.*, quantize.*)'
    : 'it has neither VAR transformer keys (pos_1LC, blocks.*) nor VQ-VAE keys (encoder.*, decoder.*, quantize.*)';
  throw new VarError('E_UNKNOWN_CHECKPOINT_KIND', `${file}: not a VAR or VQ-VAE state dict: ${why}; keys: ${first}`, {
    keys: list.slice(0, 20),
  });
}

/** Detects the kind and throws E_WRONG_CHECKPOINT_KIND when it is not `expected` (e.g. the two files swapped). */
export function expectKind(
  ckpt: { readonly name: string; readonly tensors: ReadonlyMap<string, unknown> },
  expected: CheckpointKind,
): CheckpointKind {
  const kind = detectCheckpointKind(ckpt.tensors.keys(), ckpt.name);
  if (kind !== expected) {
    throw new VarError(
      'E_WRONG_CHECKPOINT_KIND',
      `this is a ${LABEL[kind]} (${ckpt.name}), expected a ${LABEL[expected]} such as ${EXAMPLE[expected]}`,
      { kind, expected, file: ckpt.name },
    );
  }
  return kind;
}

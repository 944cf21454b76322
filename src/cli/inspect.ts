// `npm run inspect -- <file.pth> [--json]`: what a checkpoint holds — kind, inferred config, every tensor — validated.

import { detectCheckpointKind } from '../core/model/checkpoint-kind';
import { readVarConfig } from '../core/model/var-config';
import { readVqvaeConfig } from '../core/model/vqvae-config';
import { openCheckpoint } from '../core/pth/checkpoint';
import { itemSize } from '../core/pth/dtype';
import type { TensorRef } from '../core/pth/types';
import { FileByteSource } from '../node/file-byte-source';
import { VarError } from '../shared/errors';

const USAGE = 'usage: npm run inspect -- <file.pth> [--json]';

const KIND_TITLE = { var: 'var (VAR transformer)', vqvae: 'vqvae (VQ-VAE)' } as const;

async function main(args: readonly string[]): Promise<number> {
  const json = args.includes('--json');
  const unknown = args.filter((a) => a.startsWith('-') && a !== '--json');
  const files = args.filter((a) => !a.startsWith('-'));
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (unknown.length > 0 || files.length !== 1) {
    process.stderr.write(`${unknown.length > 0 ? `unknown option ${unknown[0]}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const source = await FileByteSource.open(files[0] as string);
  try {
    const ckpt = await openCheckpoint(source);
    const kind = detectCheckpointKind(ckpt.tensors.keys(), ckpt.name);
    const config = kind === 'var' ? await readVarConfig(ckpt) : await readVqvaeConfig(ckpt);
    const tensors = [...ckpt.tensors.values()];
    if (json) {
      const out = { kind, config, tensors: tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })) };
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return 0;
    }
    const lines = [
      `kind    ${KIND_TITLE[kind]}`,
      `file    ${source.path} (${source.size.toLocaleString('en-US')} bytes, archive root "${ckpt.archiveRoot}")`,
      'config',
      ...Object.entries(config).map(
        ([k, v]) => `  ${k.padEnd(14)} ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`,
      ),
      '',
      ...tensorTable(tensors),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await source.close();
  }
}

function tensorTable(tensors: readonly TensorRef[]): string[] {
  const rows = tensors.map((t) => {
    const bytes = t.numel * itemSize(t.dtype);
    return [t.name, t.dtype, `[${t.shape.join(', ')}]`, t.numel.toLocaleString('en-US'), (bytes / 1e6).toFixed(3)];
  });
  const numel = tensors.reduce((a, t) => a + t.numel, 0);
  const bytes = tensors.reduce((a, t) => a + t.numel * itemSize(t.dtype), 0);
  const header = ['name', 'dtype', 'shape', 'numel', 'MB'];
  const footer = [`total (${tensors.length} tensors)`, '', '', numel.toLocaleString('en-US'), (bytes / 1e6).toFixed(3)];
  const all = [header, ...rows, footer];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] as string).length)));
  const format = (r: string[]): string =>
    r
      .map((cell, c) => (c >= 3 ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [format(header), rule, ...rows.map(format), rule, format(footer)];
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const e = VarError.isSerialized(error) ? error : undefined;
    process.stderr.write(`error ${e ? e.code : 'E_INTERNAL'}: ${e ? e.message : String(error)}\n`);
    process.exitCode = 1;
  },
);

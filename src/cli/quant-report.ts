// `npm run quant-report -- <pack>… --reference <float32 pack>`: what each quantized pack loses against the float32
// one (teacher-forced logit cosine and KL, greedy token agreement per scale, image PSNR); prints a table, writes JSON.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  compareToReference,
  DEFAULT_FIDELITY_SETTINGS,
  type FidelityResult,
  type FidelitySettings,
  runReference,
} from '../core/evaluate/fidelity-report';
import { type NodeBackendName, nodeBackend } from '../node/ort-backends';
import { openPackDir } from '../node/pack-dir';
import { VarError } from '../shared/errors';

export const USAGE = `usage: npm run quant-report -- <pack dir>… --reference <float32 pack dir> [options]

options:
  --backend wasm|native   onnxruntime-web WASM (default) or onnxruntime-node CPU
  --threads <n>           threads (default: all cores)
  --labels 207,980        classes of the compared greedy images (default ${DEFAULT_FIDELITY_SETTINGS.labels.join(',')})
  --cfg <x>               guidance of the greedy runs (default ${DEFAULT_FIDELITY_SETTINGS.cfg})
  --no-free-run           skip the quantized packs' own greedy runs (token agreement and PSNR of free runs)
  --json <file>           where the JSON goes (default bench-out/quant-report.json)`;

export interface QuantReportIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export interface QuantReportJson {
  readonly reference: { readonly name: string; readonly bytes: number; readonly seconds: number };
  readonly backend: string;
  readonly settings: FidelitySettings;
  readonly packs: readonly FidelityResult[];
}

/** Runs the command; returns the exit code (0 ok, 1 error, 2 usage). */
export async function runQuantReport(argv: readonly string[], io: QuantReportIo): Promise<number> {
  let values: ReturnType<typeof parseOptions>['values'];
  let packs: string[];
  try {
    ({ values, positionals: packs } = parseOptions(argv));
    if (values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.reference === undefined) throw new Error('--reference <float32 pack dir> is required');
    if (packs.length === 0) throw new Error('name at least one pack to compare with the reference');
    if (values.backend !== 'wasm' && values.backend !== 'native') throw new Error('--backend must be wasm or native');
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    const settings: FidelitySettings = {
      labels: values.labels.split(',').map((v) => {
        const n = Number(v);
        if (!/^\d+$/.test(v.trim())) throw new VarError('E_BAD_SETTINGS', `--labels: "${v}" is not a class number`);
        return n;
      }),
      cfg: Number(values.cfg),
      freeRun: !values['no-free-run'],
    };
    const backend = await nodeBackend(
      values.backend as NodeBackendName,
      values.threads === undefined ? undefined : Number(values.threads),
    );
    const reference = await openPackDir(resolve(values.reference));
    if ((reference.manifest.quant ?? 'none') !== 'none') {
      io.stderr.write(`warning: the reference ${reference.manifest.name} is not a float32 pack\n`);
    }
    io.stderr.write(`reference ${reference.manifest.name}: greedy run and teacher-forced logits on ${backend.name}…\n`);
    const ref = await runReference(reference, backend, settings);
    const results: FidelityResult[] = [];
    for (const dir of packs) {
      const pack = await openPackDir(resolve(dir));
      io.stderr.write(`${pack.manifest.name}…\n`);
      results.push(await compareToReference(pack, backend, ref, settings));
    }
    const report: QuantReportJson = {
      reference: { name: ref.pack.name, bytes: ref.pack.bytes, seconds: ref.seconds },
      backend: backend.name,
      settings,
      packs: results,
    };
    io.stdout.write(formatReport(report));
    const json = resolve(values.json);
    await mkdir(dirname(json), { recursive: true });
    await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
    io.stdout.write(`JSON: ${json}\n`);
    return 0;
  } catch (error) {
    const e = VarError.isSerialized(error) ? error : undefined;
    io.stderr.write(`error ${e ? e.code : 'E_INTERNAL'}: ${e ? e.message : String(error)}\n`);
    return 1;
  }
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      reference: { type: 'string' },
      backend: { type: 'string', default: 'wasm' },
      threads: { type: 'string' },
      labels: { type: 'string', default: DEFAULT_FIDELITY_SETTINGS.labels.join(',') },
      cfg: { type: 'string', default: String(DEFAULT_FIDELITY_SETTINGS.cfg) },
      'no-free-run': { type: 'boolean', default: false },
      json: { type: 'string', default: 'bench-out/quant-report.json' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)} %`);
const db = (x: { mean: number; min: number } | undefined) =>
  x === undefined ? '–' : `${x.mean.toFixed(1)} / ${x.min.toFixed(1)}`;

/** The summary table (one row per pack) and each pack's per-scale table. */
export function formatReport(report: QuantReportJson): string {
  const s = report.settings;
  const lines = [
    `reference ${report.reference.name} (${(report.reference.bytes / 1e6).toFixed(1)} MB) · ${report.backend} · labels ${s.labels.join(',')} · cfg ${s.cfg} · teacher-forced along the reference's greedy ids`,
    '',
    row([
      'pack',
      'quant',
      'MB',
      'logit cos mean / worst',
      'KL mean / worst',
      'argmax agree',
      'free-run agree',
      'PSNR dec dB',
      'PSNR free dB',
    ]),
  ];
  for (const r of report.packs) {
    lines.push(
      row([
        r.pack.name,
        r.pack.quant,
        (r.pack.bytes / 1e6).toFixed(1),
        `${r.logitCosine.mean.toFixed(5)} / ${r.logitCosine.worst.toFixed(5)}`,
        `${r.logitKl.mean.toExponential(2)} / ${r.logitKl.worst.toExponential(2)}`,
        pct(r.argmaxAgreement),
        pct(r.freeRunAgreement),
        db(r.decoderPsnr),
        db(r.freeRunPsnr),
      ]),
    );
  }
  for (const r of report.packs) {
    lines.push('', `${r.pack.name} per scale: cos mean, KL mean, teacher-forced argmax agreement, free-run agreement`);
    for (const sc of r.perScale) {
      lines.push(
        `  ${String(sc.si).padStart(2)} ${`${sc.pn}×${sc.pn}`.padEnd(6)} ${sc.cosineMean.toFixed(5)}  ${sc.klMean.toExponential(2)}  ${pct(sc.argmaxAgreement).padStart(7)}  ${pct(sc.freeRunAgreement).padStart(7)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

const WIDTHS = [22, 6, 8, 24, 20, 13, 15, 14, 14];

function row(cells: readonly string[]): string {
  return cells.map((c, i) => c.padEnd(WIDTHS[i] ?? 10)).join(' ');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runQuantReport(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error E_INTERNAL: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

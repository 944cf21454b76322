// The layering of the code map (README "Code map"), enforced on every relative import of every TypeScript file.
// Biome forbids the packages (onnxruntime-web in page code, node:fs in core); this test forbids the folders.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Import {
  readonly from: string;
  readonly to: string;
}

function repoFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return out.split('\n').filter((f) => f && existsSync(join(ROOT, f)));
}

/** Every relative import (static, dynamic, re-export) as repository paths. */
function relativeImports(): Import[] {
  const imports: Import[] = [];
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g;
  for (const file of repoFiles()) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const match of text.matchAll(pattern)) {
      const target = resolve(dirname(join(ROOT, file)), match[1] as string);
      const candidates = [`${target}.ts`, join(target, 'index.ts'), target];
      const found = candidates.find((c) => existsSync(c)) ?? target;
      imports.push({ from: file, to: relative(ROOT, found) });
    }
  }
  return imports;
}

const isTest = (f: string) => /\.test\.ts$/.test(f) || f.startsWith('e2e/');
const under = (f: string, ...folders: string[]) => folders.some((d) => f.startsWith(`${d}/`));

/** Test support may be imported by tests, by itself, and by the benchmark CLIs (which drive the lab page). */
const mayUseTestSupport = (f: string) => isTest(f) || under(f, 'src/testing') || /^src\/cli\/bench[-.]/.test(f);

/** src/core folders from the bottom up: a folder imports only folders of a lower rank (or itself). */
const CORE_RANK: Readonly<Record<string, number>> = {
  io: 0,
  pth: 1,
  onnx: 1,
  model: 2,
  'weight-quant': 2,
  graphs: 3,
  pack: 4,
  generate: 5,
  evaluate: 6,
};

const imports = relativeImports();
const product = imports.filter((i) => !isTest(i.from));
const violations = (list: readonly Import[], rule: (i: Import) => boolean) =>
  list.filter(rule).map((i) => `${i.from} → ${i.to}`);

describe('layering (README "Code map")', () => {
  it('finds the imports it checks', () => {
    expect(imports.length).toBeGreaterThan(300);
    expect(imports).toContainEqual({ from: 'workers/engine/engine.ts', to: 'workers/engine/run-queue.ts' });
  });

  it('core is platform-neutral: it never imports node/, web/, app/, cli/, workers/ or test support', () => {
    const rule = (i: Import) =>
      under(i.from, 'src/core') && under(i.to, 'src/node', 'src/web', 'src/app', 'src/cli', 'workers', 'src/testing');
    expect(violations(product, rule)).toEqual([]);
  });

  it('inside core, imports only go down (io, pth/onnx, model/weight-quant, graphs, pack, generate, evaluate)', () => {
    const folder = (f: string) => /^src\/core\/([^/]+)\//.exec(f)?.[1];
    const rule = (i: Import) => {
      const a = folder(i.from);
      const b = folder(i.to);
      if (!a || !b || a === b) return false;
      return (CORE_RANK[b] ?? Number.POSITIVE_INFINITY) >= (CORE_RANK[a] ?? Number.NEGATIVE_INFINITY);
    };
    expect(violations(product, rule)).toEqual([]);
  });

  it('shared (the contract) imports only shared, core types and data', () => {
    const rule = (i: Import) => under(i.from, 'src/shared') && !under(i.to, 'src/shared', 'src/core', 'src/data');
    expect(violations(product, rule)).toEqual([]);
  });

  it('the page never imports worker or Node code; it reaches the engine only through engine-client', () => {
    const rule = (i: Import) =>
      under(i.from, 'src/app') && under(i.to, 'workers', 'src/node', 'src/cli', 'src/testing');
    expect(violations(product, rule)).toEqual([]);
    const engineWorker = readFileSync(join(ROOT, 'src/app/engine-client.ts'), 'utf8');
    expect(engineWorker).toContain("new URL('../../workers/engine.worker.ts', import.meta.url)");
  });

  it('web adapters and the worker never import page, Node or CLI code', () => {
    const rule = (i: Import) =>
      under(i.from, 'src/web', 'workers') && under(i.to, 'src/app', 'src/node', 'src/cli', 'src/testing');
    expect(violations(product, rule)).toEqual([]);
  });

  it('Node code never imports page or worker code', () => {
    const rule = (i: Import) => under(i.from, 'src/node', 'src/cli') && under(i.to, 'src/app', 'workers');
    expect(violations(product, rule)).toEqual([]);
  });

  it('nothing imports test support outside tests (and the benchmark CLIs that drive the lab page)', () => {
    const rule = (i: Import) => under(i.to, 'src/testing') && !mayUseTestSupport(i.from);
    expect(violations(imports, rule)).toEqual([]);
  });
});

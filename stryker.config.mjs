// Stryker mutation testing of the numerical core (`npm run test:mutation`; README.md "Mutation testing").
// Runs the tests of vitest.mutation.config.ts in a sandbox copy of src/ and fixtures/ outside the repository.
import { readFileSync } from 'node:fs';

/** `file:first-last` covering one exported function (found by name, so edits above it do not shift the range). */
function functionRange(file, name) {
  const lines = readFileSync(new URL(file, import.meta.url), 'utf8').split('\n');
  const first = lines.findIndex((l) => l.startsWith(`export function ${name}(`));
  const last = lines.findIndex((l, i) => i > first && l === '}');
  if (first < 0 || last < 0) throw new Error(`stryker.config.mjs: no function ${name} in ${file}`);
  return `${file}:${first + 1}-${last + 1}`;
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  mutate: [
    'src/core/generate/sampler.ts',
    'src/core/generate/guidance.ts',
    'src/core/graphs/scale-resample.ts',
    functionRange('src/core/graphs/vq-quantizer.ts', 'quantizerStepFeeds'),
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // Only what the tests read goes into the sandbox (dist/, public/ and the test packs are large and unused).
  ignorePatterns: ['/*', '!/src', '!/fixtures', '!/package.json', '!/tsconfig*.json', '!/vitest.mutation.config.ts'],
  // Outside the working tree: the sandbox and the reports leave nothing for git to see.
  tempDirName: '/tmp/var-web-stryker',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'node_modules/.cache/stryker/mutation.html' },
  jsonReporter: { fileName: 'node_modules/.cache/stryker/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 90, low: 80, break: null },
};

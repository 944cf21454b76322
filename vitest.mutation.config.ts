// Mutation testing (`npm run test:mutation`, Stryker): only the fast unit tests of the numerical core it mutates.
// Not part of `npm test`; see "Mutation testing" in README.md.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src/core/generate/sampler.test.ts',
      'src/core/generate/guidance.test.ts',
      'src/core/graphs/scale-resample.test.ts',
      'src/core/graphs/vq-quantizer.feeds.test.ts',
    ],
    // The chi-square test draws 100k tokens (~18 s); every mutant it covers would rerun it. It stays in `npm test`.
    testNamePattern: /^(?!.*chi-square)/,
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

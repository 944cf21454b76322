// Unit tests: Node environment, next to the code they test.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'workers/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores here: ORT sessions in parallel files would fight for them.
    fileParallelism: true,
    maxWorkers: 2,
  },
});

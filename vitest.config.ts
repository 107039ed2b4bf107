import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Every reconcile pass checks what it carried over from the last one against a full look
    // (src/workflow/pass-memory.ts), in this process and in the CLIs and servers the tests start.
    env: { ARGOSY_VERIFY_PASS_MEMORY: '1' },
  },
});

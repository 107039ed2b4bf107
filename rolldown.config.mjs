// Bundles the compiled CLI (dist/cli/main.js) into dist/bundle/: our own modules only, one chunk per
// part the CLI loads lazily. Packages stay external: they are few, and native or CommonJS ones
// (better-sqlite3 and its `bindings`) must be loaded as themselves.
// CommonJS, so that bin/bundle-loader.mjs can compile it from a V8 code cache (Node 20 has none for
// ES modules); strict, as the ES modules it is made of are (a write to a frozen object must throw).
export default {
  input: 'dist/cli/main.js',
  platform: 'node',
  external: (id) => !id.startsWith('.') && !id.startsWith('/'),
  output: { dir: 'dist/bundle', format: 'cjs', banner: '"use strict";', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs', cleanDir: true },
  logLevel: 'warn',
};

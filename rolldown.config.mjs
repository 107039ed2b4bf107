// Bundles the compiled CLI (dist/cli/main.js) into dist/bundle/: our own modules only, one chunk per
// part the CLI loads lazily. Packages stay external: they are few, and native or CommonJS ones
// (better-sqlite3 and its `bindings`) must be loaded as themselves.
export default {
  input: 'dist/cli/main.js',
  platform: 'node',
  external: (id) => !id.startsWith('.') && !id.startsWith('/'),
  output: { dir: 'dist/bundle', format: 'esm', cleanDir: true },
  logLevel: 'warn',
};

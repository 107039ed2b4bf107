// How this process imports the plain-JS ES modules that ship in src/node/ (launcher.mjs and what it
// loads). Normally `import()`. The CLI's bundle is CommonJS compiled from a V8 code cache
// (bin/bundle-loader.mjs), where an `import()` inside the bundle has no loader behind it on Node 20:
// the CLI's entry, an ES module, lends its own.
let importer: (url: string) => Promise<unknown> = (url) => import(url);

export function importAsset<T>(path: string): Promise<T> {
  return importer(path) as Promise<T>;
}

export function setAssetImporter(fn: (url: string) => Promise<unknown>): void {
  importer = fn;
}

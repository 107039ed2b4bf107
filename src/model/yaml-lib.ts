// The `yaml` package, loaded the first time something needs it: loading it costs ~30 ms of every
// command's start-up, and most runs never need it (yaml-fast.ts reads the usual workflow files).
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

const require = createRequire(import.meta.url);
let lib: typeof Yaml | undefined;

export function yaml(): typeof Yaml {
  return (lib ??= require('yaml') as typeof Yaml);
}

export const parseYaml = (text: string): unknown => yaml().parse(text);
export const toYaml = (value: unknown): string => yaml().stringify(value);

// Patch application: RFC 6902 JSON patch (all-or-nothing) and RFC 7396 merge patch.
// Strategic merge patch for built-in kinds lives with the API server (it needs OpenAPI patch metadata).
import { createRequire } from 'node:module';
import type FastJsonPatch from 'fast-json-patch';
import { ApiError } from '../model/errors.js';
import { clone } from '../model/object.js';

// Loaded the first time a JSON patch comes (most processes never see one): ~5 ms of start-up.
const require = createRequire(import.meta.url);
let lib: typeof FastJsonPatch | undefined;
const applyPatch: typeof FastJsonPatch.applyPatch = (...args) => (lib ??= require('fast-json-patch') as typeof FastJsonPatch).applyPatch(...args);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

export function jsonPatch<T>(target: T, ops: unknown): T {
  if (!Array.isArray(ops)) {
    throw new ApiError('BadRequest', 'a JSON patch must be an array of operations, e.g. [{"op":"replace","path":"/spec/x","value":1}]');
  }
  try {
    return applyPatch(clone(target), ops as never, true, true).newDocument as T;
  } catch (err) {
    const e = err as { name?: string; message?: string; index?: number };
    const where = typeof e.index === 'number' ? ` (operation ${e.index})` : '';
    const msg = (e.message ?? String(err)).split('\n')[0];
    if (e.name === 'TEST_OPERATION_FAILED' || /test operation failed/i.test(msg)) {
      throw new ApiError('Invalid', `the JSON patch test operation failed${where}: the document does not hold the tested value`);
    }
    throw new ApiError('Invalid', `the JSON patch cannot be applied${where}: ${msg}`);
  }
}

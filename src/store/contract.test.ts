import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { defaultKinds } from '../model/kinds.js';
import { storeContract } from './contract.suite.js';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'argosy-store-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract('memory', async (opts) => new MemoryStore(defaultKinds, opts));
storeContract('sqlite', async (opts) => new SqliteStore(join(dir, `s${n++}.db`), defaultKinds, { ...opts, eventRetention: opts.watchHistory }));

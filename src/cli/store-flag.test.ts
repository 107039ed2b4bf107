import { describe, expect, it } from 'vitest';
import { parseStoreFlag } from './remote/server-cmd.js';

describe('argosy server --store', () => {
  it('defaults to sqlite', () => {
    expect(parseStoreFlag(undefined)).toEqual({ kind: 'sqlite' });
    expect(parseStoreFlag('sqlite')).toEqual({ kind: 'sqlite' });
  });
  it('takes a postgres URL with an optional schema, which is not passed on to the driver', () => {
    const s = parseStoreFlag('postgres://me:secret@db.example:5433/argo?schema=team_a&sslmode=disable');
    expect(s.kind).toBe('postgres');
    if (s.kind !== 'postgres') return;
    expect(s.postgres.schema).toBe('team_a');
    expect(s.postgres.connectionString).toBe('postgres://me:secret@db.example:5433/argo?sslmode=disable');
    expect(s.shown).not.toContain('secret');
    expect(parseStoreFlag('postgresql://u@h/db').kind).toBe('postgres');
  });
  it('rejects other stores and odd schemas', () => {
    expect(() => parseStoreFlag('mysql://u@h/db')).toThrow(/unsupported store/);
    expect(() => parseStoreFlag('not a url')).toThrow(/expected "sqlite"/);
    expect(() => parseStoreFlag('postgres://u@h/db?schema=a;drop')).toThrow(/schema/);
  });
});

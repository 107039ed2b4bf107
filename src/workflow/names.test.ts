import { describe, expect, it } from 'vitest';
import { displayName, fnv32a, nodeId, podName } from './names.js';

describe('node naming', () => {
  it('hashes like Go hash/fnv New32a', () => {
    expect(fnv32a('')).toBe(2166136261);
    expect(fnv32a('a')).toBe(0xe40c292c);
    expect(fnv32a('foobar')).toBe(0xbf9cf968);
  });

  it('IDs the root node as the workflow and others by hash', () => {
    expect(nodeId('wf', 'wf')).toBe('wf');
    expect(nodeId('wf', 'wf[0].a')).toBe(`wf-${fnv32a('wf[0].a')}`);
  });

  it('names pods <workflow>-<template>-<hash>', () => {
    expect(podName('wf', 'wf', 'main')).toBe('wf');
    expect(podName('wf', 'wf[0].a', 'whalesay')).toBe(`wf-whalesay-${fnv32a('wf[0].a')}`);
  });

  it('derives display names from the boundary', () => {
    expect(displayName('wf[0].hello1', 'wf')).toBe('hello1');
    expect(displayName('wf[0]', 'wf')).toBe('[0]');
    expect(displayName('wf.A', 'wf')).toBe('A');
    expect(displayName('wf.onExit', undefined)).toBe('wf.onExit');
    expect(displayName('wf[1].b(0)', 'wf')).toBe('b(0)');
  });
});

import { describe, expect, it } from 'vitest';
import { expand } from './env.js';
import { parseImage, resolveImage, unmappedImageMessage } from './images.js';
import { parseLogText } from './logs.js';
import { hostPathFor } from './volumes.js';

describe('image map', () => {
  it('normalises references: registry, library/ prefix, tag and digest', () => {
    expect(parseImage('docker.io/library/alpine:3.23')).toEqual({ repo: 'alpine', tag: '3.23' });
    expect(parseImage('alpine')).toEqual({ repo: 'alpine', tag: 'latest' });
    expect(parseImage('quay.io/argoproj/argoexec:v3.5.0')).toEqual({ repo: 'quay.io/argoproj/argoexec', tag: 'v3.5.0' });
    expect(parseImage('localhost:5000/x/y')).toEqual({ repo: 'localhost:5000/x/y', tag: 'latest' });
    expect(parseImage('python@sha256:abc').repo).toBe('python');
  });

  it('resolves built-ins with any tag, user entries first, and names the fix for unmapped images', () => {
    expect(resolveImage('docker.io/library/alpine:3.23', undefined)?.mapping.cmd).toEqual(['sh']);
    expect(resolveImage('python:3.12-slim', undefined)?.mapping.cmd).toEqual(['python3']);
    expect(resolveImage('argoproj/argosay:v2', undefined)?.mapping.entrypoint).toEqual(['argosay']);
    expect(resolveImage('argoproj/argosay:v1', undefined)?.mapping.cmd).toEqual(['cowsay']);
    expect(resolveImage('docker/whalesay:latest', undefined)?.mapping.cmd).toEqual(['cowsay']);
    expect(resolveImage('golang:1.18', undefined)).toBeUndefined();
    expect(resolveImage('alpine:3', { 'alpine:3': { cmd: ['ash'] } })?.mapping.cmd).toEqual(['ash']);
    expect(resolveImage('my.registry/team/tool:1', { 'my.registry/team/*': { cmd: ['tool'] } })?.mapping.cmd).toEqual(['tool']);
    expect(unmappedImageMessage('golang:1.18')).toContain('image "golang:1.18" has no host mapping');
  });
});

describe('$(VAR) expansion', () => {
  it('expands known variables, keeps unknown ones and unescapes $$', () => {
    const vars = { A: 'x', B: 'y' };
    expect(expand('$(A)-$(B)', vars)).toBe('x-y');
    expect(expand('$(C) $$(A) $$ $ $(A', vars)).toBe('$(C) $(A) $ $ $(A');
  });
});

describe('log format', () => {
  it('rebuilds full and partial lines', () => {
    const text = 't1 stdout F a\nt2 stderr F b\nt3 stdout P par\n';
    expect(parseLogText(text).lines.map((l) => l.text).join('')).toBe('a\nb\npar');
  });
});

describe('hostPathFor', () => {
  it('maps through the deepest mount, else the rootfs', () => {
    const binds = [
      { source: '/h/work', target: '/work', readOnly: false },
      { source: '/h/out', target: '/work/out', readOnly: false },
    ];
    expect(hostPathFor('/work/out/f', binds, '/r')).toBe('/h/out/f');
    expect(hostPathFor('/work/a', binds, '/r')).toBe('/h/work/a');
    expect(hostPathFor('/workshop/a', binds, '/r')).toBe('/r/workshop/a');
    expect(hostPathFor('/tmp/x', binds, '/r')).toBe('/r/tmp/x');
  });
});

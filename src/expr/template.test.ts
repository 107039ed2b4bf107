import { describe, expect, test } from 'vitest';
import { buildExprEnv, findTags, replaceTags, replaceTagsInJSON, substituteObject } from './template.js';

const vars = {
  'inputs.parameters.message': 'hi',
  'inputs.parameters.my-param': 'dash',
  'inputs.parameters.n': '3',
  'steps.flip.outputs.result': 'heads',
  'workflow.name': 'wf-abc',
  'inputs.parameters.quote': 'say "hi"\nbye',
};

describe('simple tags', () => {
  test('replace', () => {
    expect(replaceTags('echo {{inputs.parameters.message}} {{ workflow.name }}', vars)).toBe('echo hi wf-abc');
    expect(replaceTags('no tags', vars)).toBe('no tags');
  });
  test('unresolved', () => {
    expect(() => replaceTags('x {{inputs.parameters.x}}', vars)).toThrow('failed to resolve {{inputs.parameters.x}}');
    expect(replaceTags('x {{inputs.parameters.x}}', vars, { allowUnresolved: true })).toBe('x {{inputs.parameters.x}}');
    expect(replaceTags('{{a}}', {}, { onMissing: (n) => `<${n}>` })).toBe('<a>');
  });
  test('unterminated tag', () => expect(() => replaceTags('{{a', vars)).toThrow('cannot find end tag="}}"'));
  test('findTags', () => expect(findTags('{{ a.b }} and {{= x + 1 }} {{c}}')).toEqual(['a.b', '=x + 1', 'c']));
});

describe('expression tags', () => {
  test.each([
    ['{{=inputs.parameters.message}}', 'hi'],
    ["{{= inputs.parameters['my-param'] }}", 'dash'],
    ['{{=asInt(inputs.parameters.n) + 1}}', '4'],
    ['{{=asFloat(inputs.parameters.n) / 2}}', '1.5'],
    ['{{= steps.flip.outputs.result == "heads" ? "yes" : "no" }}', 'yes'],
    ['{{=sprig.upper(workflow.name)}}', 'WF-ABC'],
    ['{{=[1, 2]}}', '[1,2]'],
    ['{{=1e6}}', '1000000'],
    ['{{=inputs.parameters.n == "3"}}', 'true'],
    ['{{=toJson({a: inputs.parameters.message})}}', '{"a":"hi"}'],
    ['{{= inputs.parameters.missing ?? "dflt" }}', 'dflt'],
  ])('%s', (text, want) => expect(replaceTags(text, vars)).toBe(want));

  test('unavailable variables are left verbatim when allowed', () => {
    expect(replaceTags('{{=tasks.a.outputs.result}}', vars, { allowUnresolved: true })).toBe('{{=tasks.a.outputs.result}}');
    expect(replaceTags('{{=workflow.status == "Succeeded"}}', vars, { allowUnresolved: true })).toBe('{{=workflow.status == "Succeeded"}}');
    expect(replaceTags('{{=sprig.int(retries)}}', vars, { allowUnresolved: true })).toBe('{{=sprig.int(retries)}}');
    expect(replaceTags('{{=inputs.parameters.nope}}', vars, { allowUnresolved: true })).toBe('{{=inputs.parameters.nope}}');
  });
  test('errors when strict', () => {
    expect(() => replaceTags('{{=tasks.a.outputs.result}}', vars)).toThrow('failed to evaluate expression: unknown name tasks (1:1)');
    expect(() => replaceTags('{{=inputs.parameters.nope}}', vars)).toThrow('failed to evaluate expression "inputs.parameters.nope"');
  });
});

describe('JSON substitution', () => {
  test('values are JSON-escaped', () => {
    const out = replaceTagsInJSON('{"args":["{{inputs.parameters.quote}}"]}', vars);
    expect(JSON.parse(out)).toEqual({ args: ['say "hi"\nbye'] });
  });
  test('expressions inside JSON are unescaped then results escaped', () => {
    const obj = { a: '{{=inputs.parameters.message + "\\"!"}}', b: '{{=[inputs.parameters.message]}}' };
    expect(substituteObject(obj, vars)).toEqual({ a: 'hi"!', b: '["hi"]' });
  });
  test('invalid JSON', () => expect(() => replaceTagsInJSON('{', vars)).toThrow('cannot do template replacements with invalid JSON'));
  test('objects without tags are returned as is', () => {
    const o = { x: 1 };
    expect(substituteObject(o, vars)).toBe(o);
  });
});

describe('buildExprEnv', () => {
  test('expands dotted keys', () =>
    expect(buildExprEnv({ 'inputs.parameters.x': '1', 'workflow.name': 'w' })).toEqual({ inputs: { parameters: { x: '1' } }, workflow: { name: 'w' } }));
  test('parent/child collision keeps the child', () =>
    expect(buildExprEnv({ 'a.b': 's', 'a.b.c': '1', ab: '2', abc: '3' })).toEqual({ a: { b: { c: '1' } }, ab: '2', abc: '3' }));
});

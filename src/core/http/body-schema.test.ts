import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeBodySchema, closeRouteBody, nestedDeeperThan } from './body-schema.ts';
import { findInputProblem } from './input-checks.ts';

const limits = { maxDepth: 3, maxBytes: 100 };

describe('closeBodySchema', () => {
  test('closes object schemas that do not say otherwise, nested ones too, without touching the original', () => {
    const original = {
      type: 'object', properties: {
        a: { type: 'object', properties: { b: { type: 'string' } } },
        list: { type: 'array', items: { type: 'object', properties: { c: { type: 'integer' } } } },
        open: { type: 'object', additionalProperties: true },
        typed: { type: 'object', additionalProperties: { type: 'string' } },
        either: { anyOf: [{ type: 'object', properties: { d: { type: 'string' } } }, { type: 'string' }] },
      },
    };
    const copy = JSON.parse(JSON.stringify(original)) as unknown;
    const closed = closeBodySchema(original, limits) as any;
    assert.equal(closed.additionalProperties, false);
    assert.equal(closed.properties.a.additionalProperties, false);
    assert.equal(closed.properties.list.items.additionalProperties, false);
    assert.equal(closed.properties.open.additionalProperties, true);
    assert.deepEqual(closed.properties.typed.additionalProperties, { type: 'string' });
    assert.equal(closed.properties.either.anyOf[0].additionalProperties, false);
    assert.deepEqual(original, copy);
  });

  test('leaves the parts of an allOf open (each would refuse the fields of the others)', () => {
    const closed = closeBodySchema({ allOf: [{ type: 'object', properties: { a: { type: 'string' } } }] }, limits) as any;
    assert.equal(closed.allOf[0].additionalProperties, undefined);
  });

  test('fills the limits of x-free-form, and handles bodies given per content type', () => {
    const body = { content: { 'application/json': { schema: { type: 'object', properties: { m: { type: 'object', additionalProperties: true, 'x-free-form': true } } } } } };
    const closed = closeRouteBody(body, limits) as any;
    const schema = closed.content['application/json'].schema;
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.properties.m['x-free-form'], limits);
  });
});

describe('depth and character checks', () => {
  test('nestedDeeperThan counts {} as 1 and walks any depth without recursion', () => {
    assert.equal(nestedDeeperThan({ a: { b: 1 } }, 2), false);
    assert.equal(nestedDeeperThan({ a: { b: [] } }, 2), true);
    assert.equal(nestedDeeperThan('text', 0), false);
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.equal(nestedDeeperThan(deep, 64), true);
  });

  test('findInputProblem names the first bad string, key or nesting by path', () => {
    assert.equal(findInputProblem({ a: ['ok', 'x\u0000'] })?.path.join('.'), 'a.1');
    assert.match(findInputProblem({ a: '\ud800' })!.message, /unpaired surrogate/);
    assert.match(findInputProblem({ a: { ['k\udc00']: 1 } })!.message, /field name/);
    assert.deepEqual(findInputProblem({ a: { '\u0000': 1 } })?.path, ['a']);
    assert.equal(findInputProblem({ ok: '😀 \\u0000' }), undefined);
    assert.deepEqual(findInputProblem({ a: [[[1]]] }, 3)?.path, ['a']);
    assert.equal(findInputProblem({ a: [[1]] }, 3), undefined);
  });
});

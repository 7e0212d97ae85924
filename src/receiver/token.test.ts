import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Scope } from './store/types.ts';
import { pushToken, scopeMessage, secretEquals, verifyPushToken } from './token.ts';

const README: Scope = { organization: 'my-org', repository: 'my-org/my-repo', workflow: 'ci.yml', job: 'build' };

/** An independent reading of the documented encoding: if every message decodes back, no two scopes share one. */
function decodeMessage(message: string): string[] {
  const bytes = Buffer.from(message, 'utf8');
  const prefix = Buffer.from('rrc-push-token-v1\n');
  assert.ok(bytes.subarray(0, prefix.length).equals(prefix));
  const fields: string[] = [];
  for (let i = prefix.length; i < bytes.length;) {
    const colon = bytes.indexOf(0x3a, i);
    const len = Number(bytes.subarray(i, colon).toString());
    fields.push(bytes.subarray(colon + 1, colon + 1 + len).toString('utf8'));
    assert.equal(bytes[colon + 1 + len], 0x2c);
    i = colon + 2 + len;
  }
  return fields;
}

describe('token', () => {
  test('scopeMessage: the documented netstring encoding, lengths in UTF-8 bytes', () => {
    assert.equal(scopeMessage(README), 'rrc-push-token-v1\n6:my-org,14:my-org/my-repo,6:ci.yml,5:build,');
    assert.equal(scopeMessage({ organization: 'ö', repository: 'r', workflow: 'w', job: 'j' }), 'rrc-push-token-v1\n2:ö,1:r,1:w,1:j,');
  });

  test('pushToken: matches a vector computed independently (Python hmac), 64 lower-case hex', () => {
    assert.equal(pushToken('my-hmac-key', README), '1580f33cc1e59d31628388393c79160d5dca20a615a362b0567e6e4b419604e2');
  });

  const confusable: { name: string; a: Scope; b: Scope }[] = [
    { name: '"/" moved between repository and workflow',
      a: { organization: 'o', repository: 'a/b', workflow: 'c', job: 'd' }, b: { organization: 'o', repository: 'a', workflow: 'b/c', job: 'd' } },
    { name: '"/" moved between organization and repository',
      a: { organization: 'o/a', repository: 'b', workflow: 'c', job: 'd' }, b: { organization: 'o', repository: 'a/b', workflow: 'c', job: 'd' } },
    { name: 'the separator characters of the encoding inside a field',
      a: { organization: 'o', repository: 'r,1:x', workflow: 'w', job: 'j' }, b: { organization: 'o', repository: 'r', workflow: 'x,1:w', job: 'j' } },
    { name: 'a digit moved into the length',
      a: { organization: '1', repository: '2', workflow: 'w', job: 'j' }, b: { organization: '12', repository: '', workflow: 'w', job: 'j' } },
  ];
  for (const c of confusable) {
    test(`pushToken: scopes differing only by ${c.name} get different tokens`, () => {
      assert.notEqual(scopeMessage(c.a), scopeMessage(c.b));
      assert.notEqual(pushToken('k', c.a), pushToken('k', c.b));
      assert.equal(verifyPushToken('k', c.b, pushToken('k', c.a)), false);
    });
  }

  test('scopeMessage: every message decodes back to its scope (so the encoding is injective)', () => {
    const field = fc.string({ unit: 'grapheme', maxLength: 12 });
    fc.assert(fc.property(fc.tuple(field, field, field, field), ([organization, repository, workflow, job]) => {
      assert.deepEqual(decodeMessage(scopeMessage({ organization, repository, workflow, job })), [organization, repository, workflow, job]);
    }), { numRuns: 300 });
  });

  const verifyCases = [
    { name: 'its own token', token: pushToken('k', README), want: true },
    { name: 'the token of another key', token: pushToken('other', README), want: false },
    { name: 'upper-case hex of its own token', token: pushToken('k', README).toUpperCase(), want: false },
    { name: 'a prefix of its own token', token: pushToken('k', README).slice(0, 63), want: false },
    { name: 'an empty token', token: '', want: false },
  ];
  for (const c of verifyCases) {
    test(`verifyPushToken: ${c.name} → ${c.want}`, () => assert.equal(verifyPushToken('k', README, c.token), c.want));
  }

  test('secretEquals: equal strings only, whatever the lengths', () => {
    assert.equal(secretEquals('read-token', 'read-token'), true);
    assert.equal(secretEquals('read-token', 'read-tokeN'), false);
    assert.equal(secretEquals('read-token', 'read-token-longer'), false);
    assert.equal(secretEquals('read-token', ''), false);
  });
});

// Push tokens: stateless HMAC-SHA256 over an unambiguous encoding of a scope, and constant-time
// comparison of secrets. Plain functions over plain data; nothing is stored.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Scope } from './store/types.ts';

/** Version tag at the start of every message, so that a later encoding cannot collide with this one. */
const MESSAGE_PREFIX = 'rrc-push-token-v1\n';

/**
 * The HMAC message for a scope: the prefix, then each field as a netstring `<UTF-8 byte length>:<bytes>,`
 * in the order organization, repository, workflow, job. Length prefixes make the encoding injective:
 * `("a/b", "c")` and `("a", "b/c")` give different messages, unlike a `/`-join.
 */
export function scopeMessage(scope: Scope): string {
  const fields = [scope.organization, scope.repository, scope.workflow, scope.job];
  return MESSAGE_PREFIX + fields.map((f) => `${Buffer.byteLength(f, 'utf8')}:${f},`).join('');
}

/** The push token for a scope: 64 lower-case hex characters. */
export function pushToken(hmacKey: string, scope: Scope): string {
  return createHmac('sha256', hmacKey).update(scopeMessage(scope), 'utf8').digest('hex');
}

/** Whether `token` is the push token of `scope`, compared in constant time. */
export function verifyPushToken(hmacKey: string, scope: Scope, token: string): boolean {
  return secretEquals(pushToken(hmacKey, scope), token);
}

/**
 * Constant-time equality of two secrets of any length: both are hashed to 32 bytes first, so
 * `timingSafeEqual` gets equal-length buffers and the time reveals neither content nor length.
 */
export function secretEquals(expected: string, given: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(given));
}

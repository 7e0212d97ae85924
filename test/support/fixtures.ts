// Paths into test/fixtures, for tests anywhere in the tree.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const fixturePath = (rel: string): string => fileURLToPath(new URL(`../fixtures/${rel}`, import.meta.url));
export const fixtureBytes = (rel: string): Buffer => readFileSync(fixturePath(rel));
export const fixtureText = (rel: string): string => readFileSync(fixturePath(rel), 'utf8');

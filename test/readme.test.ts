import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withConfigTable } from '../scripts/config-table.js';
import { withErrorTable } from '../scripts/error-table.js';

describe('README', () => {
  it('carries the configuration table generated from the config schema (npm run docs:config)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(withConfigTable(readme));
  });

  it('carries the error-code table generated from src/errors.ts (npm run docs:errors)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(withErrorTable(readme));
  });

  it('gives the two set-up commands', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
  });
});

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

  it("quotes the web example's files as they stand", () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### Browser frontends'), readme.indexOf('### Admin CLI'));
    const quotes = [...section.matchAll(/\[`(\S+)`\]\((examples\/web\/\S+)\)[\s\S]*?\n( *)```js\n([\s\S]*?)\n *```/g)];
    expect(quotes.map((quote) => quote[1])).toEqual(['server.mjs', 'index.html']);
    for (const [, , path, indent, code] of quotes) {
      const unindented = code!.replaceAll(new RegExp(`^${indent}`, 'gm'), '');
      expect(readFileSync(path!, 'utf8'), path).toContain(unindented);
    }
  });
});

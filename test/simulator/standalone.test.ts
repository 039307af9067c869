import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SIMULATOR_DIR = 'src/simulator';

/** The module specifiers a TypeScript file imports or re-exports (static and dynamic). */
function importsOf(source: string): string[] {
  const from = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/g;
  const specifiers = [...source.matchAll(from)].map((match) => match[1]!);
  const bare = [...source.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)].map((match) => match[1]!);
  const dynamic = [...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((match) => match[1]!);
  return [...specifiers, ...bare, ...dynamic];
}

describe('the Apiframe simulator', () => {
  it('stands alone: it imports nothing of the gateway outside src/simulator', () => {
    const files = readdirSync(SIMULATOR_DIR, { recursive: true, encoding: 'utf8' });
    const sources = files.filter((name) => name.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(0);
    const reachingOut = sources.flatMap((file) =>
      importsOf(readFileSync(join(SIMULATOR_DIR, file), 'utf8'))
        .filter((specifier) => specifier.startsWith('.'))
        .filter((specifier) => !join(SIMULATOR_DIR, file, '..', specifier).startsWith(`${SIMULATOR_DIR}/`))
        .map((specifier) => `${file}: ${specifier}`),
    );
    expect(reachingOut).toEqual([]);
  });
});

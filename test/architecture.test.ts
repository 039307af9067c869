// The layers hold: each area of src/ imports only from the areas beneath it, the domain does no
// I/O, the simulator (the stand-in for Apiframe) shares no code with the gateway it checks, and
// no source file grows past 300 lines. Imports are read as text, as the compiler would resolve
// their relative paths.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** What each area of src/ may import from (besides itself); areas not listed may import anything. */
const MAY_IMPORT: Record<string, string[]> = {
  domain: [],
  errors: [],
  logger: [],
  'project-root': [],
  schemas: ['domain', 'errors'],
  'config-schema': [],
  config: ['domain', 'schemas', 'config-schema'],
  services: ['domain', 'errors', 'schemas', 'config'],
  plugins: ['domain', 'errors', 'schemas', 'config', 'services'],
  routes: ['domain', 'errors', 'schemas', 'config', 'services', 'plugins', 'project-root'],
  simulator: [],
  cli: [],
};
/** Packages that reach the network, the disk or the clock of another process: not for the domain. */
const IO_PACKAGES = /^(node:(fs|net|http|https|dns|child_process)|ioredis|undici|fastify|pino)/;
const MAX_LINES = 300;

const sourceFiles = readdirSync('src', { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.ts'))
  .map((name) => join('src', name));

/** The module specifiers a TypeScript file imports or re-exports (static and dynamic). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const from = [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/g)];
  const bare = [...source.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)];
  const dynamic = [...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return [...from, ...bare, ...dynamic].map((match) => match[1]!);
}

/** The area of src/ a path lies in: its first folder, or its file name without the extension. */
const areaOf = (path: string) =>
  relative('src', path)
    .split('/')[0]!
    .replace(/\.(ts|js)$/, '');

describe('the layers of src/', () => {
  it('import only from beneath them', () => {
    const crossings = sourceFiles.flatMap((file) => {
      const area = areaOf(file);
      const allowed = MAY_IMPORT[area];
      if (!allowed) return [];
      return importsOf(file)
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => areaOf(join(dirname(file), specifier)))
        .filter((target) => target !== area && !allowed.includes(target))
        .map((target) => `${file} imports from ${target}`);
    });
    expect(crossings).toEqual([]);
  });

  it('keep the domain free of I/O', () => {
    const domain = sourceFiles.filter((file) => areaOf(file) === 'domain');
    expect(domain.length).toBeGreaterThan(0);
    const io = domain.flatMap((file) =>
      importsOf(file)
        .filter((specifier) => IO_PACKAGES.test(specifier))
        .map((specifier) => `${file}: ${specifier}`),
    );
    expect(io).toEqual([]);
  });

  it('hold a simulator that imports nothing of the gateway, and no file over 300 lines', () => {
    expect(sourceFiles.some((file) => areaOf(file) === 'simulator')).toBe(true);
    const long = sourceFiles.filter((file) => readFileSync(file, 'utf8').split('\n').length > MAX_LINES);
    expect(long).toEqual([]);
  });
});

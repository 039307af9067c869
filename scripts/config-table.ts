// Renders the configuration table from the config schema, so the README cannot drift from
// the code: `npm run docs:config` rewrites the table between its markers in README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigSchema } from '../src/config.js';

export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';

export function renderConfigTable(): string {
  const required = new Set<string>(ConfigSchema.required ?? []);
  const rows = Object.entries(ConfigSchema.properties).map(([name, schema]) => {
    const options = schema as { default?: unknown; description?: string };
    const fallback =
      options.default !== undefined ? `\`${String(options.default)}\`` : required.has(name) ? '**required**' : '(unset)';
    return `| \`${name}\` | ${fallback} | ${options.description ?? ''} |`;
  });
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

export function withConfigTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error('README.md has no config-table markers');
  return `${readme.slice(0, start + TABLE_START.length)}\n${renderConfigTable()}\n${readme.slice(end)}`;
}

if (process.argv[1]?.endsWith('config-table.ts') || process.argv[1]?.endsWith('config-table.js')) {
  const readme = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', withConfigTable(readme));
  process.stdout.write('README.md configuration table updated\n');
}

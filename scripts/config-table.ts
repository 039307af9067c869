// Renders the configuration table from the config schema, so the README cannot drift from
// the code: `npm run docs:config` rewrites the table between its markers in README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigSchema } from '../src/config-schema.js';
import { isMain, withSection } from './readme-section.js';

export function renderConfigTable(): string {
  const required = new Set<string>(ConfigSchema.required ?? []);
  const rows = Object.entries(ConfigSchema.properties).map(([name, schema]) => {
    const options = schema as { default?: unknown; description?: string };
    const fallback =
      options.default !== undefined
        ? `\`${String(options.default)}\``
        : required.has(name)
          ? '**required**'
          : '(unset)';
    return `| \`${name}\` | ${fallback} | ${options.description ?? ''} |`;
  });
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

export function withConfigTable(readme: string): string {
  return withSection(readme, 'config-table', renderConfigTable());
}

if (isMain('config-table')) {
  const readme = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', withConfigTable(readme));
  process.stdout.write('README.md configuration table updated\n');
}

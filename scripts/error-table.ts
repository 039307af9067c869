// Renders the README's table of error codes from src/errors.ts, so it cannot drift from the
// code: `npm run docs:errors` rewrites the table between its markers in README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { errorTable } from '../src/errors.js';
import { isMain, withSection } from './readme-section.js';

export function renderErrorTable(): string {
  const rows = errorTable().map(({ code, status, message }) => {
    const shown = message.replaceAll('%s', '…').replaceAll('|', '\\|');
    return `| \`${code}\` | ${status} | ${shown} |`;
  });
  return ['| Code | Status | Message |', '| --- | --- | --- |', ...rows].join('\n');
}

export function withErrorTable(readme: string): string {
  return withSection(readme, 'error-table', renderErrorTable());
}

if (isMain('error-table')) {
  const readme = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', withErrorTable(readme));
  process.stdout.write('README.md error-code table updated\n');
}

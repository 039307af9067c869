// `npm run apiframe:spec -- <path-to-newer-spec>`: replaces the committed copy of Apiframe's spec
// (openapi/apiframe/apiframe-openapi.json, which the gateway and the tests read) with a newer
// one, as it is, once it still holds every operation the gateway serves; then says which
// operations, models and actions came and went.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  APIFRAME_JOB_OPERATIONS,
  type ApiframeJobOperation,
  jobOperationsOf,
  type SpecDocument,
} from '../src/schemas/apiframe-spec.js';
import { JOB_OPERATIONS } from '../src/services/operations/index.js';
import { isMain } from './readme-section.js';

export const COMMITTED_SPEC = 'openapi/apiframe/apiframe-openapi.json';

function parse(text: string): SpecDocument {
  let document: { openapi?: unknown } & SpecDocument;
  try {
    document = JSON.parse(text);
  } catch {
    throw new Error('the new spec is not JSON');
  }
  if (typeof document.openapi !== 'string' || !document.openapi.startsWith('3.')) {
    throw new Error('the new spec is not an OpenAPI 3 document');
  }
  return document;
}

function listed(label: string, names: string[]): string[] {
  return names.length > 0 ? [`${label}: ${names.join(', ')}`] : [];
}

/** What changed between two lists of operations, a line each; none when nothing did. */
export function specChanges(before: readonly ApiframeJobOperation[], after: readonly ApiframeJobOperation[]) {
  const byPath = (operations: readonly ApiframeJobOperation[]) => new Map(operations.map((op) => [op.path, op]));
  const [old, current] = [byPath(before), byPath(after)];
  const lines = [
    ...listed(
      'new operations',
      [...current.keys()].filter((path) => !old.has(path)),
    ),
    ...listed(
      'removed operations',
      [...old.keys()].filter((path) => !current.has(path)),
    ),
  ];
  for (const [path, operation] of current) {
    const was = old.get(path);
    if (!was) continue;
    const [kept, now] = [[...was.branches.keys()], [...operation.branches.keys()]];
    lines.push(
      ...listed(
        `${path} new`,
        now.filter((value) => !kept.includes(value)),
      ),
    );
    lines.push(
      ...listed(
        `${path} removed`,
        kept.filter((value) => !now.includes(value)),
      ),
    );
  }
  return lines;
}

/** The changes `text` brings; throws when it is no spec, or lacks an operation the gateway serves. */
export function checkNewSpec(text: string): string[] {
  const operations = jobOperationsOf(parse(text));
  const missing = JOB_OPERATIONS.filter((served) => !operations.some((operation) => operation.path === served.path));
  if (missing.length > 0) {
    throw new Error(`the new spec lacks operations the gateway serves: ${missing.map((op) => op.path).join(', ')}`);
  }
  return specChanges(APIFRAME_JOB_OPERATIONS, operations);
}

if (isMain('apiframe-spec')) {
  const source = process.argv[2];
  if (!source) {
    process.stderr.write('usage: npm run apiframe:spec -- <path-to-newer-spec>\n');
    process.exit(2);
  }
  try {
    const text = readFileSync(source, 'utf8');
    const changes = checkNewSpec(text);
    writeFileSync(COMMITTED_SPEC, text);
    process.stdout.write(`${COMMITTED_SPEC} updated${changes.length > 0 ? `:\n  ${changes.join('\n  ')}` : ''}\n`);
    process.stdout.write('next: npm run openapi, then npm test (a new operation needs a descriptor)\n');
  } catch (error) {
    process.stderr.write(`${COMMITTED_SPEC} unchanged: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

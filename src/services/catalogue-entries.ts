// Apiframe's model catalogue read entry by entry: an entry the gateway cannot read (a pricing mode
// or modality newer than its copy of the spec) is skipped and named, so one new entry never
// costs the gateway every other model's price. Only an answer that is no catalogue at all is refused.
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parseJson } from '../domain/jobs.js';
import { ApiframeModelEntry } from '../schemas/models.js';

const AnyCatalogue = Type.Object({ models: Type.Array(Type.Unknown()) });

export interface CatalogueEntries {
  entries: ApiframeModelEntry[];
  /** The entries skipped, by id (or position when an entry has no id). */
  skipped: string[];
}

/** The readable entries of a catalogue's JSON text, and those skipped; null when it is not a catalogue. */
export function catalogueEntries(body: string): CatalogueEntries | null {
  const catalogue = parseJson(body);
  if (!Value.Check(AnyCatalogue, catalogue)) return null;
  const read: CatalogueEntries = { entries: [], skipped: [] };
  for (const [index, entry] of catalogue.models.entries()) {
    if (Value.Check(ApiframeModelEntry, entry)) read.entries.push(entry);
    else read.skipped.push(idOf(entry) ?? `#${index}`);
  }
  return read;
}

function idOf(entry: unknown): string | undefined {
  const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

// How big a job a request asks for, read from the JSON Schema of its model's branch in Apiframe's
// spec: the field that sets its length (`klingParams.duration`, `elevenlabsParams.music_length_ms`)
// and the one that sets how many outputs it makes (`n`, `num_images`, …), found by name wherever
// they sit. Every other numeric field is listed as not changing a job's size, so a spec that brings
// a field of a new name fails a test until it is placed in one list or the other.
import type { RequestUnits } from './pricing.js';

type Schema = Readonly<Record<string, unknown>>;

/** Fields that set a job's length, with the seconds one unit of each is. */
const LENGTH_FIELDS: Readonly<Record<string, number>> = { duration: 1, music_length_ms: 0.001 };

/** Fields that set how many outputs a job makes. */
const COUNT_FIELDS: readonly string[] = ['n', 'num_images', 'num_outputs', 'number_of_images', 'numberOfImages'];

/** Numeric fields of the spec that do not change what a job costs by the catalogue's rules. */
export const SIZE_NEUTRAL_FIELDS: readonly string[] = [
  ...['seed', 'steps', 'num_inference_steps', 'guidance', 'guidance_scale', 'cfg', 'safety_tolerance'],
  ...['strength', 'prompt_strength', 'image_prompt_strength', 'lora_strength', 'image_fidelity', 'threshold'],
  ...['height', 'width', 'output_quality', 'index', 'zoomRatio', 'continueAt', 'audio_weight', 'target_fps'],
  ...['face_enhance_creativity', 'face_enhance_strength', 'upscale_factor', 'scale_factor', 'creativity'],
  ...['dynamic', 'resemblance', 'sharpen', 'style_weight', 'weirdness', 'weirdness_constraint'],
  ...['lyrics_strength', 'sound_strength'],
];

/** Where a branch's bodies say their size, and what an absent field means. */
export interface BranchUnits {
  /** The length field: its path, seconds per unit, and its longest allowed value (in its units). */
  length?: { path: readonly string[]; secondsPerUnit: number; longest: number };
  /** The count field: its path and the count Apiframe makes when it is absent (the spec's default, else 1). */
  count?: { path: readonly string[]; absent: number };
  /** Set on operations priced by their input, whose length or megapixels no body states. */
  pricedByInput?: 'seconds' | 'megapixels';
}

interface NumericField {
  path: string[];
  schema: Schema;
}

/** The values a numeric field's schema allows by enumeration (`enum`, `anyOf` of enums), if it enumerates. */
function enumerated(schema: Schema): number[] {
  const own = Array.isArray(schema.enum) ? (schema.enum as unknown[]) : [];
  const nested = Array.isArray(schema.anyOf) ? (schema.anyOf as Schema[]).flatMap(enumerated) : [];
  return [...own, ...nested].filter((value): value is number => typeof value === 'number');
}

function isNumeric(schema: Schema): boolean {
  const types = [schema.type].flat();
  return types.includes('number') || types.includes('integer') || enumerated(schema).length > 0;
}

/** Every numeric field of a branch, with its path, at any depth. */
function numericFields(schema: Schema, path: string[] = []): NumericField[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  return Object.entries(properties).flatMap(([name, property]) => {
    const here = [...path, name];
    if (isNumeric(property)) return [{ path: here, schema: property }];
    return property.properties ? numericFields(property, here) : [];
  });
}

const nameOf = (field: NumericField) => field.path.at(-1)!;

/** The largest value a numeric field allows: its `maximum`, else the largest it enumerates. */
function largest(schema: Schema): number | undefined {
  if (typeof schema.maximum === 'number') return schema.maximum;
  const values = enumerated(schema);
  return values.length > 0 ? Math.max(...values) : undefined;
}

/** Numeric fields of a branch that are in none of the lists above. */
export function unplacedFields(branch: Schema): string[] {
  const placed = new Set([...Object.keys(LENGTH_FIELDS), ...COUNT_FIELDS, ...SIZE_NEUTRAL_FIELDS]);
  return numericFields(branch)
    .map(nameOf)
    .filter((name) => !placed.has(name));
}

/** Where a branch's bodies say their length and count; throws on a length field with no longest value. */
export function branchUnits(branch: Schema, pricedByInput?: 'seconds' | 'megapixels'): BranchUnits {
  const fields = numericFields(branch);
  const lengthField = fields.find((field) => Object.hasOwn(LENGTH_FIELDS, nameOf(field)));
  const countField = fields.find((field) => COUNT_FIELDS.includes(nameOf(field)));
  const units: BranchUnits = pricedByInput ? { pricedByInput } : {};
  if (lengthField) {
    const longest = largest(lengthField.schema);
    if (longest === undefined) throw new Error(`${lengthField.path.join('.')} of Apiframe's spec has no longest value`);
    units.length = { path: lengthField.path, secondsPerUnit: LENGTH_FIELDS[nameOf(lengthField)]!, longest };
  }
  if (countField) {
    const { default: absent } = countField.schema;
    units.count = { path: countField.path, absent: typeof absent === 'number' ? absent : 1 };
  }
  return units;
}

function valueAt(body: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((value, name) => (value as Record<string, unknown> | undefined)?.[name], body);
}

/**
 * What a body asks for: the length it names, else the longest its model allows (an absent length
 * is Apiframe's to choose), except on an operation priced by its input, where an absent length is
 * the input's and unknown; the count it names, else the one Apiframe makes when none is named.
 */
export function requestUnits(units: BranchUnits, body: unknown): RequestUnits {
  const result: RequestUnits = units.pricedByInput ? { pricedByInput: units.pricedByInput } : {};
  if (units.length) {
    const named = valueAt(body, units.length.path);
    const length = typeof named === 'number' ? named : units.pricedByInput ? undefined : units.length.longest;
    if (length !== undefined) result.seconds = length * units.length.secondsPerUnit;
  }
  if (units.count) {
    const named = valueAt(body, units.count.path);
    result.outputs = typeof named === 'number' ? named : units.count.absent;
  }
  return result;
}

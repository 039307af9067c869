// What POST /v2/loras accepts: a name and 15-30 training images (JPEG, PNG or WebP, 10 MB each,
// 100 MB in all) with the metadata the spec lists; a person needs a gender and an ethnicity.
// `[sim:fail]` in the name makes the training fail (and its 2 credits refunded).
import { randomUUID } from 'node:crypto';
import { directive } from './directives.js';
import { sniff } from './file-kinds.js';
import { type Part, textFields } from './multipart.js';
import type { SimLora } from './simulator-types.js';

const MB = 1024 * 1024;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);
const SUBJECT_KINDS = ['person', 'style', 'object'];
const GENDERS = ['female', 'male', 'non-binary'];

type Details = Record<string, string[]>;

/** The LoRA to train, or what is wrong with the request, by field. */
export function loraOf(parts: Part[]): { lora: SimLora } | { details: Details } {
  const fields = textFields(parts);
  const images = parts.filter((part) => part.name === 'images' && part.filename !== undefined);
  const details: Details = { ...imageErrors(images) };
  const fail = (field: string, message: string) => {
    details[field] = [message];
  };
  const name = fields.name ?? '';
  if (name.length < 1 || name.length > 60) fail('name', 'Must be 1-60 characters');
  const subjectKind = fields.subjectKind ?? 'person';
  if (!SUBJECT_KINDS.includes(subjectKind)) fail('subjectKind', "Expected 'person' | 'style' | 'object'");
  if (fields.gender !== undefined && !GENDERS.includes(fields.gender)) fail('gender', 'Invalid gender');
  if (subjectKind === 'person' && fields.gender === undefined) fail('gender', 'Required for a person');
  if (subjectKind === 'person' && !fields.ethnicity) fail('ethnicity', 'Required for a person');
  const steps = integerIn(fields.steps, 500, 3000, 1000);
  if (steps === undefined) fail('steps', 'Must be an integer from 500 to 3000');
  const loraRank = integerIn(fields.loraRank, 8, 64, 16);
  if (loraRank === undefined) fail('loraRank', 'Must be an integer from 8 to 64');
  if (Object.keys(details).length > 0) return { details };
  const lora: SimLora = {
    id: randomUUID(),
    name,
    subjectKind,
    gender: fields.gender ?? null,
    ethnicity: fields.ethnicity ?? null,
    age: fields.age ?? null,
    imageCount: images.length,
    steps: steps!,
    loraRank: loraRank!,
    createdAt: Date.now(),
    outcome: directive(name, 'fail') === undefined ? 'READY' : 'FAILED',
  };
  return { lora };
}

function imageErrors(images: Part[]): Details {
  if (images.length < 15 || images.length > 30) return { images: [`Expected 15-30 images, got ${images.length}`] };
  if (images.some((image) => !IMAGE_TYPES.has(sniff(image.data)?.contentType ?? ''))) {
    return { images: ['Every image must be a JPEG, PNG or WebP'] };
  }
  if (images.some((image) => image.data.length > 10 * MB)) return { images: ['Each image must be at most 10 MB'] };
  const total = images.reduce((sum, image) => sum + image.data.length, 0);
  return total > 100 * MB ? { images: ['The images must be at most 100 MB in all'] } : {};
}

function integerIn(text: string | undefined, min: number, max: number, absent: number): number | undefined {
  if (text === undefined) return absent;
  const value = Number(text);
  return Number.isInteger(value) && value >= min && value <= max ? value : undefined;
}

// The [sim:…] directives (listed in simulator.ts) a submission carries. They are read from every
// string of its body, percent-decoded too, so that operations without a prompt can carry them in
// another field (an image or video URL's query string, an inpaint mask, a Suno title). A job's
// own directives are those before `[sim:then]`; those after it pass on to the actions on the job.
import type { Outcome } from './simulator-types.js';

const THEN = '[sim:then]';

/** Every string in `value`, as sent and percent-decoded, joined by spaces. */
export function directiveText(value: unknown): string {
  if (typeof value === 'string') return value.includes('%') ? `${value} ${decoded(value)}` : value;
  if (typeof value !== 'object' || value === null) return '';
  return Object.values(value).map(directiveText).filter(Boolean).join(' ');
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}

/** The directives of the job itself: those before `[sim:then]`. */
export const ownDirectives = (text: string) => text.split(THEN)[0]!;

/** The directives a job passes on to the actions on it: those after `[sim:then]`. */
export const passedOnDirectives = (text: string) => text.split(THEN).slice(1).join(' ');

/** The value of `[sim:name=N]` in the text (empty for a bare `[sim:name]`), undefined when absent. */
export function directive(text: string, name: string): string | undefined {
  const match = new RegExp(`\\[sim:${name}(?:=(\\d+))?\\]`).exec(text);
  return match ? (match[1] ?? '') : undefined;
}

export function outcomeOf(text: string): Outcome {
  if (directive(text, 'fail') !== undefined) return 'FAILED';
  if (directive(text, 'cancel') !== undefined) return 'CANCELLED';
  if (directive(text, 'never') !== undefined) return 'NEVER';
  return 'COMPLETED';
}

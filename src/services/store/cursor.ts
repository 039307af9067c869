// Opaque cursors for lists ordered newest first by (createdAt desc, id desc): jobs and keys.
import { invalidInput } from '../../errors.js';

export interface Position {
  createdAt: number;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.createdAt}:${position.id}`).toString('base64url');
}

/** The position a cursor names, or null when it is not one of ours. */
export function decodeCursor(cursor: string): Position | null {
  const match = /^(\d{1,15}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) return null;
  return { createdAt: Number(match[1]), id: match[2]! };
}

/** The 400 for a cursor the gateway did not hand out. */
export function invalidCursor() {
  return invalidInput({ cursor: ['is not a valid cursor'] });
}

/** The position a caller's cursor names (undefined for none); a 400 when it is not one of ours. */
export function positionOf(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  const position = decodeCursor(cursor);
  if (!position) throw invalidCursor();
  return position;
}

/** True when `item` comes strictly after `position` in list order. */
export function isAfter(item: Position, position: Position): boolean {
  return item.createdAt < position.createdAt || (item.createdAt === position.createdAt && item.id < position.id);
}

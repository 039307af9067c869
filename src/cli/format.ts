// How the admin CLI prints: readable tables by default, the API's JSON with --json.
import Table from 'cli-table3';

/** Prints `value` as JSON with --json, else as `asText()` gives it. */
export type Print = (value: unknown, asText: () => string) => void;

export interface Budget {
  credits: number;
  period: string;
}

export function formatBudget(budget: Budget | null): string {
  return budget ? `${budget.credits}/${budget.period}` : 'unlimited';
}

/** Parses "300/month" (or day, week, total) and "unlimited". */
export function parseBudget(text: string): Budget | null {
  if (text === 'unlimited') return null;
  const match = /^(\d+)\/(day|week|month|total)$/.exec(text);
  if (!match)
    throw new Error(`budget must look like 300/month (day, week, month or total) or "unlimited", not "${text}"`);
  return { credits: Number(match[1]), period: match[2]! };
}

const display = (value: unknown): string => {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length > 0 ? value.join(', ') : '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

export function table(headings: string[], rows: unknown[][]): string {
  const output = new Table({ head: headings, style: { head: [], border: [] } });
  output.push(...rows.map((row) => row.map(display)));
  return output.toString();
}

/** A record as a two-column table, budget fields in their short form. */
export function details(record: Record<string, unknown>): string {
  const rows = Object.entries(record).map(([name, value]) => [
    name,
    name === 'budget' ? formatBudget(value as Budget | null) : value,
  ]);
  const output = new Table({ style: { head: [], border: [] } });
  output.push(...rows.map(([name, value]) => [String(name), display(value)]));
  return output.toString();
}

// README tables generated from the code sit between a pair of HTML comment markers; this swaps
// what is between them, so each generator and its drift test share one way of doing it.

/** `readme` with the text between `<!-- name:start -->` and `<!-- name:end -->` replaced by `body`. */
export function withSection(readme: string, name: string, body: string): string {
  const startMarker = `<!-- ${name}:start -->`;
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start) throw new Error(`README.md has no ${name} markers`);
  return `${readme.slice(0, start + startMarker.length)}\n${body}\n${readme.slice(end)}`;
}

/** True when the script at `file` is the one node was asked to run (not imported by a test). */
export function isMain(file: string): boolean {
  const argv1 = process.argv[1] ?? '';
  return argv1.endsWith(`${file}.ts`) || argv1.endsWith(`${file}.js`);
}

// A strict reader of the Prometheus text exposition format (version 0.0.4): every line must
// be a HELP, a TYPE or a sample, every sample must belong to a declared family, and values
// must be numbers. Returns the samples for assertions.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"(?:,|$)/gy;

export function parseExposition(text: string): Sample[] {
  const families = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '' || HELP.test(line)) continue;
    const type = TYPE.exec(line);
    if (type) {
      families.set(type[1]!, type[2]!);
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`line ${index + 1} is not valid exposition format: ${line}`);
    const [, name, labelText = '', valueText] = sample;
    const family = name!.replace(/_(bucket|sum|count)$/, '');
    if (!families.has(name!) && !['histogram', 'summary'].includes(families.get(family) ?? '')) {
      throw new Error(`line ${index + 1}: sample ${name} has no # TYPE`);
    }
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let match = LABEL.exec(labelText); match; match = LABEL.exec(labelText)) {
      labels[match[1]!] = match[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      consumed = LABEL.lastIndex;
    }
    if (consumed !== labelText.length) throw new Error(`line ${index + 1}: malformed labels: ${labelText}`);
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case.
    const special: Record<string, number> = { nan: NaN, '+inf': Infinity, inf: Infinity, '-inf': -Infinity };
    const value = special[valueText!.toLowerCase()] ?? Number(valueText);
    if (Number.isNaN(value) && valueText!.toLowerCase() !== 'nan')
      throw new Error(`line ${index + 1}: value ${valueText} is not a number`);
    samples.push({ name: name!, labels, value });
  }
  return samples;
}

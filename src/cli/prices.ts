// `prices list`: each model and action the gateway offers, the rule it is priced by, where the
// rule comes from and what a request naming no length or count reserves.
import type { Command } from 'commander';
import type { AdminClient } from './admin-client.js';
import { table, type Print } from './format.js';

interface PriceView {
  name: string;
  operation: string;
  rule: {
    mode: string;
    credits: number;
    source: string;
    maxSeconds?: number;
    maxOutputs?: number;
    maxMegapixels?: number;
  } | null;
  exampleBound: number | null;
  unpricedBecause: string | null;
}

const ceilings = (rule: NonNullable<PriceView['rule']>) =>
  [
    rule.maxSeconds !== undefined && `maxSeconds ${rule.maxSeconds}`,
    rule.maxOutputs !== undefined && `maxOutputs ${rule.maxOutputs}`,
    rule.maxMegapixels !== undefined && `maxMegapixels ${rule.maxMegapixels}`,
  ].filter(Boolean);

export function registerPriceCommands(program: Command, client: () => AdminClient, print: Print): void {
  const prices = program.command('prices').description('the price rules in force');
  prices
    .command('list')
    .description("each offered model's rule, its source and what a request naming no length or count reserves")
    .option('--priced', 'only the models a rule prices')
    .action(async (options: { priced?: boolean }) => {
      const answer = await client().get<{ prices: PriceView[] }>('/prices');
      const shown = answer.prices.filter((price) => !options.priced || price.rule !== null);
      print({ prices: shown }, () =>
        table(
          ['model', 'operation', 'rule', 'credits', 'ceilings', 'source', 'example bound'],
          shown.map(({ name, operation, rule, exampleBound, unpricedBecause }) => [
            name,
            operation,
            rule?.mode,
            rule?.credits,
            rule && ceilings(rule),
            rule?.source,
            exampleBound ?? (unpricedBecause ? 'refused' : null),
          ]),
        ),
      );
    });
}

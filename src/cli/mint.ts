// `keys mint`: an ephemeral browser key minted by the admin on behalf of a team key (its parent),
// with a lifetime such as 15m, a cap in credits and the exact origins it may be used from;
// `keys revoke-ephemeral`: one revoked before its expiry.
import { type Command, InvalidArgumentError } from 'commander';
import type { AdminClient } from './admin-client.js';
import { details, type Print } from './format.js';

interface EphemeralKeyView {
  key: string;
  id: string;
  parentKeyId: string;
  team: string;
  expiresAt: string;
  budget: { credits: number };
  allowedOrigins: string[];
  allowedModels: string[] | null;
  maxJobs: number | null;
}

/** The minted key's terms as a table: a cap has no period, so it is shown as credits. */
function terms({ key: _key, budget, allowedOrigins, allowedModels, ...rest }: EphemeralKeyView) {
  const models = allowedModels?.join(', ') ?? "the parent's";
  return details({ ...rest, credits: budget.credits, origins: allowedOrigins.join(', '), models });
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600 };

/** A lifetime as seconds: `900`, `900s`, `15m` or `1h`. */
export function parseTtl(value: string): number {
  const match = /^(\d+)([smh]?)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must be a duration such as 900, 900s, 15m or 1h');
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's']!;
}

const positive = (value: string) => {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('must be a whole number above 0');
  return Number(value);
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

function registerMintCommand(keys: Command, client: () => AdminClient, print: Print): void {
  keys
    .command('mint')
    .description('mint an ephemeral browser key for a team key (the gateway checks it against the key’s budget)')
    .requiredOption('--parent <keyId>', 'the team key it spends for')
    .requiredOption('--credits <n>', 'its cap over its life', positive)
    .requiredOption('--origin <origin>', 'an exact web origin it may be used from (repeat for more)', collect)
    .option('--ttl <duration>', 'how long it works: 60s to 1h, e.g. 15m', parseTtl)
    .option('--model <model>', 'a model it may use (repeat for more; default: the parent’s)', collect)
    .option('--max-jobs <n>', 'jobs it may create', positive)
    .action(async (options) => {
      const minted = await client().post<EphemeralKeyView>(
        `/keys/${encodeURIComponent(options.parent)}/ephemeral-keys`,
        {
          budget: { credits: options.credits },
          allowedOrigins: options.origin,
          ...(options.ttl !== undefined && { ttlSeconds: options.ttl }),
          ...(options.model && { allowedModels: options.model }),
          ...(options.maxJobs !== undefined && { maxJobs: options.maxJobs }),
        },
      );
      print(minted, () => `${terms(minted)}\nEphemeral key (shown only now): ${minted.key}`);
    });
}

function registerRevokeEphemeralCommand(keys: Command, client: () => AdminClient, print: Print): void {
  keys
    .command('revoke-ephemeral <id>')
    .description('revoke an ephemeral browser key before its expiry, on every gateway instance')
    .requiredOption('--parent <keyId>', 'the team key it was minted for')
    .action(async (id: string, options) => {
      await client().delete(`/keys/${encodeURIComponent(options.parent)}/ephemeral-keys/${encodeURIComponent(id)}`);
      print({ revoked: id }, () => `Ephemeral key ${id} revoked.`);
    });
}

/** `keys mint` and `keys revoke-ephemeral`. */
export function registerEphemeralKeyCommands(keys: Command, client: () => AdminClient, print: Print): void {
  registerMintCommand(keys, client, print);
  registerRevokeEphemeralCommand(keys, client, print);
}

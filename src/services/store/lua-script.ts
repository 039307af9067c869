// A Lua script and the one place its inputs are named. The names, in order, become the script's
// first lines (`local credits = ARGV[4]`), so the body reads named locals and a caller passes one
// object by name: the order of KEYS and ARGV is written nowhere else. Scripts run as ioredis
// commands (EVALSHA, loading the script when Redis lacks it).
import type { Cluster, Redis } from 'ioredis';

export type LuaArg = string | number;

export interface LuaScriptDefinition<K extends string, A extends string, Reply, Result> {
  /** The ioredis command name. */
  name: string;
  /** KEYS, in order. */
  keys: readonly K[];
  /** ARGV, in order (Redis passes them as strings: the body converts numbers with tonumber). */
  argv: readonly A[];
  body: string;
  /** What the caller gets from the script's reply. */
  decode: (reply: Reply) => Result;
}

export type LuaScriptInput<K extends string, A extends string> = Record<K, string> & Record<A, LuaArg>;

export interface LuaScript<K extends string, A extends string, Result> {
  readonly name: string;
  readonly numberOfKeys: number;
  /** The whole source: the named inputs, then the body. */
  readonly lua: string;
  run(redis: Redis | Cluster, input: LuaScriptInput<K, A>): Promise<Result>;
  /** The command's arguments: KEYS then ARGV, in order (to queue it on a pipeline). */
  argsOf(input: LuaScriptInput<K, A>): LuaArg[];
  decode(reply: unknown): Result;
}

type Command = (...args: LuaArg[]) => Promise<unknown>;

export function luaScript<const K extends string, const A extends string, Reply, Result>(
  definition: LuaScriptDefinition<K, A, Reply, Result>,
): LuaScript<K, A, Result> {
  const { name, keys, argv, body, decode } = definition;
  const lua = [
    ...keys.map((key, i) => `local ${key} = KEYS[${i + 1}]`),
    ...argv.map((arg, i) => `local ${arg} = ARGV[${i + 1}]`),
    body,
  ].join('\n');
  const argsOf = (input: LuaScriptInput<K, A>) => [...keys.map((key) => input[key]), ...argv.map((arg) => input[arg])];
  return {
    name,
    numberOfKeys: keys.length,
    lua,
    async run(redis, input) {
      const command = (redis as unknown as Record<string, Command>)[name]!;
      const reply = await command.call(redis, ...argsOf(input));
      return decode(reply as Reply);
    },
    argsOf,
    decode: (reply) => decode(reply as Reply),
  };
}

/**
 * Makes each script a command of `redis`, once per connection and before any is run: ioredis
 * pipelines (auto-pipelining included) know only the commands defined when they were made.
 */
export function defineScripts(redis: Redis | Cluster, scripts: readonly LuaScript<string, string, unknown>[]): void {
  for (const { name, numberOfKeys, lua } of scripts) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  }
}

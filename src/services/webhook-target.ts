// The SSRF guard for callers' webhook URLs: https only (http when allowed), no credentials in
// the URL, port 443 only (or 80 when http is allowed), and every address the host resolves to
// must be public unicast: loopback, private, link-local (cloud metadata), unique-local, CGNAT,
// multicast and reserved ranges are refused, IPv6 addresses that embed an IPv4 one included,
// unless the host is on the configured allowlist. The same decision is taken at submit time and
// again by the delivery agent at every connection (against DNS rebinding). The resolver is
// injectable, so the submit-time decision can be tested without sending traffic anywhere.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';

export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

export interface TargetPolicy {
  allowHttp: boolean;
  /** Hosts (names or literal addresses) exempt from the address and port checks. */
  allowedHosts: readonly string[];
}

export type TargetCheck = { ok: true } | { ok: false; reason: string };

/**
 * The range of an address as ipaddr.js names it ('unicast' for a public one). IPv4-mapped
 * (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses are judged by their IPv4 part.
 */
export function addressRange(address: string): string {
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range !== 'unicast' || parsed.kind() !== 'ipv6') return range;
  const parts = (parsed as ipaddr.IPv6).parts;
  if (parts.slice(0, 6).some((part) => part !== 0)) return range;
  return ipaddr.fromByteArray((parsed as ipaddr.IPv6).toByteArray().slice(12)).range();
}

/** Why connecting to `port` (empty for the protocol's default) is refused, or null when allowed. */
function portRefusal(protocol: string, port: string, policy: TargetPolicy): string | null {
  const effective = Number(port) || (protocol === 'https:' ? 443 : 80);
  if (effective === 443 || (effective === 80 && policy.allowHttp)) return null;
  return `must use port 443${policy.allowHttp ? ' or 80' : ''} (not ${effective})`;
}

/** Why connecting to these addresses is refused, or null when every one is public. */
function addressRefusal(addresses: readonly string[]): string | null {
  for (const address of addresses) {
    const range = addressRange(address);
    if (range !== 'unicast') return `must not point at a ${range} address (${address})`;
  }
  return null;
}

export async function checkWebhookTarget(url: string, policy: TargetPolicy, resolve: Resolver): Promise<TargetCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && policy.allowHttp)) {
    return { ok: false, reason: policy.allowHttp ? 'must be an http(s) URL' : 'must be an https URL' };
  }
  if (parsed.username || parsed.password) return { ok: false, reason: 'must not carry credentials' };
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (policy.allowedHosts.includes(host)) return { ok: true };
  const port = portRefusal(parsed.protocol, parsed.port, policy);
  if (port) return { ok: false, reason: port };
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return { ok: false, reason: `host ${host} does not resolve` };
  }
  if (addresses.length === 0) return { ok: false, reason: `host ${host} does not resolve` };
  const refusal = addressRefusal(addresses);
  return refusal ? { ok: false, reason: refusal } : { ok: true };
}

/**
 * An undici dispatcher that takes the guard's decision again at every connection: the port, a
 * literal address, and every address the system resolves a name to, so a name cannot be
 * re-pointed at a private address between the check and the delivery.
 */
export function createGuardedAgent(policy: TargetPolicy): Agent {
  const guardedLookup: typeof dnsLookup = ((
    hostname: string,
    options: { all?: boolean },
    callback: (...args: unknown[]) => void,
  ) =>
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const refusal = addressRefusal(addresses.map((entry) => entry.address));
      if (refusal) return callback(new Error(`refused to connect to ${hostname}: ${refusal}`));
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    })) as typeof dnsLookup;
  const guarded = buildConnector({ lookup: guardedLookup });
  const allowlisted = buildConnector({});
  return new Agent({
    connect: (options, callback) => {
      if (policy.allowedHosts.includes(options.hostname)) return allowlisted(options, callback);
      const refusal =
        portRefusal(options.protocol, options.port, policy) ??
        (isIP(options.hostname) ? addressRefusal([options.hostname]) : null);
      if (refusal) return callback(new Error(`refused to connect to ${options.hostname}: ${refusal}`), null);
      return guarded(options, callback);
    },
  });
}

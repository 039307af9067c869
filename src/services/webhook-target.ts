// The SSRF guard for callers' webhook URLs: https only (http when allowed), no credentials in
// the URL, and every address the host resolves to must be public unicast: loopback, private,
// link-local (cloud metadata), unique-local, CGNAT, multicast and reserved ranges are refused,
// unless the host is on the configured allowlist. The resolver is injectable, so the decision
// can be tested without sending traffic anywhere.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

export interface TargetPolicy {
  allowHttp: boolean;
  /** Hosts (names or literal addresses) exempt from the address check. */
  allowedHosts: readonly string[];
}

export type TargetCheck = { ok: true } | { ok: false; reason: string };

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
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return { ok: false, reason: `host ${host} does not resolve` };
  }
  if (addresses.length === 0) return { ok: false, reason: `host ${host} does not resolve` };
  for (const address of addresses) {
    const range = ipaddr.process(address).range();
    if (range !== 'unicast') return { ok: false, reason: `must not point at a ${range} address (${address})` };
  }
  return { ok: true };
}

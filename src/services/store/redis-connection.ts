// Opening the Redis connection the store (and the rate limits) use.
import { Cluster, Redis } from 'ioredis';

export interface RedisConnection {
  url?: string;
  clusterNodes?: string;
  sentinels?: string;
  sentinelMaster?: string;
  password?: string;
  commandTimeoutMs: number;
}

/** A standalone, Cluster or Sentinel-managed Redis, tuned to fail fast rather than queue. */
export function connectRedis(connection: RedisConnection): Redis | Cluster {
  const options = { enableAutoPipelining: true, commandTimeout: connection.commandTimeoutMs, maxRetriesPerRequest: 1 };
  if (connection.clusterNodes) {
    const nodes = connection.clusterNodes.split(',');
    const { username, password } = new URL(nodes[0]!);
    return new Cluster(nodes, {
      enableAutoPipelining: true,
      redisOptions: {
        ...options,
        ...(username && { username }),
        ...(password && { password: decodeURIComponent(password) }),
      },
    });
  }
  if (connection.sentinels) {
    return new Redis({
      ...options,
      sentinels: connection.sentinels.split(',').map((address) => {
        const [host, port] = address.split(':');
        return { host: host!, port: Number(port) };
      }),
      name: connection.sentinelMaster ?? 'mymaster',
      ...(connection.password && { password: connection.password, sentinelPassword: connection.password }),
    });
  }
  return new Redis(connection.url!, options);
}

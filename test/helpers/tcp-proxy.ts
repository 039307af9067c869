// A loopback TCP proxy in front of a server, whose connections a test can silence one at a time:
// bytes stop flowing both ways while both sockets stay open, as a network partition leaves a
// half-open connection (neither end hears a close).
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface ProxiedConnection {
  /** The proxy's port towards the server: the client address the server lists (CLIENT LIST addr). */
  upstreamPort: number;
  /** Drops every byte from now on, both ways, keeping both sockets open. */
  silence(): void;
}

export interface TcpProxy {
  port: number;
  connections: ProxiedConnection[];
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const connections: ProxiedConnection[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    let silent = false;
    client.on('data', (chunk) => silent || upstream.write(chunk));
    upstream.on('data', (chunk) => silent || client.write(chunk));
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('connect', () =>
      connections.push({ upstreamPort: upstream.localPort!, silence: () => (silent = true) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

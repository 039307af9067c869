// A local HTTP server standing for the far end of webhook and alert deliveries: it records every
// request it receives and answers 204, or whatever status `status` gives for the request's path.
import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  /** Where it listens, without a trailing slash: http://127.0.0.1:port */
  url: string;
  /** The requests received so far, oldest first. */
  received: ReceivedRequest[];
  close(): void;
}

export async function startReceiver(status: (path: string) => number = () => 204): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      received.push({ path, headers: request.headers, body });
      response.writeHead(status(path)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, received, close: () => server.close() };
}

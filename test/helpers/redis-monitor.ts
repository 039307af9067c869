// Redis's MONITOR over a plain socket: every command the server runs, with its arguments and
// where it came from (`lua` for a script's own commands). ioredis's monitor mode can fail with
// "Command queue state error" when the first command arrives in the same packet as MONITOR's +OK
// (one CI run did), so the tests read the feed themselves.
import { connect } from 'node:net';

export interface MonitoredCommand {
  args: string[];
  /** `lua` for a command a script ran, else the client's address. */
  source: string;
}

/** One line of the feed: `+1796023033.406956 [0 127.0.0.1:41518] "evalsha" "…" …`. */
function parseLine(line: string): MonitoredCommand | null {
  const match = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
  if (!match) return null;
  const args = [...match[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(([, quoted]) => quoted!.replace(/\\(.)/g, '$1'));
  return { args, source: match[1]! };
}

/** Starts watching the Redis at `url`; resolves once the feed has begun. `stop` ends it. */
export async function monitorRedis(
  url: string,
  onCommand: (command: MonitoredCommand) => void,
): Promise<{ stop(): void }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`MONITOR on ${url} closed before it began`)));
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\r\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === '+OK') resolve();
        const command = parseLine(line);
        if (command) onCommand(command);
      }
    });
    socket.write('MONITOR\r\n');
  });
  socket.on('error', () => {});
  return { stop: () => socket.destroy() };
}

// The admin CLI run as a real process against the gateway listening at `url`: its exit code and
// output, whether the command succeeds or fails.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ADMIN_TOKEN } from './gateway.js';

const execute = promisify(execFile);

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runAdminCli(
  url: string,
  args: string[],
  env: Record<string, string> = { ADMIN_TOKEN },
): Promise<CliRun> {
  try {
    const { stdout, stderr } = await execute(
      process.execPath,
      ['--import', 'tsx', 'src/cli/admin.ts', '--url', url, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as CliRun;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

import { describe, expect, it, vi } from 'vitest';
import { createBackgroundPass } from '../../src/services/background-pass.js';

const logger = { warn: () => undefined, error: () => undefined };

describe('background pass', () => {
  it('runs one pass at a time, and a pass asked for during one right after it', async () => {
    const releases: (() => void)[] = [];
    let passes = 0;
    const background = createBackgroundPass(
      () => {
        passes++;
        return new Promise<void>((resolve) => releases.push(resolve));
      },
      logger,
      'failed',
    );
    background.kick();
    background.kick();
    background.kick();
    expect(passes).toBe(1);
    releases.shift()!();
    await vi.waitFor(() => expect(passes).toBe(2));
    releases.shift()!();
    await background.stop();
    expect(passes).toBe(2);
  });

  it('logs a failed pass and runs the next one', async () => {
    const warnings: string[] = [];
    let passes = 0;
    const background = createBackgroundPass(
      async () => {
        passes++;
        throw new Error('boom');
      },
      { ...logger, warn: (_object, message) => void warnings.push(message) },
      'pass failed',
    );
    background.kick();
    await vi.waitFor(() => expect(warnings).toEqual(['pass failed']));
    background.kick();
    await vi.waitFor(() => expect(passes).toBe(2));
    await background.stop();
  });
});

import { describe, expect, it } from 'vitest';
import { createConnectionSlots, SlotWaitOver } from '../../src/services/connection-slots.js';

/** A piece of work that runs until `finish` is called. */
function heldWork(started: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    work: async () => {
      started.push(name);
      await done;
      return name;
    },
    finish: () => finish(),
  };
}

describe('connection slots', () => {
  it('starts work at once while a slot is free, then in arrival order as slots come free', async () => {
    const slots = createConnectionSlots(2);
    const started: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => heldWork(started, name));
    const answers = [a!, b!, c!, d!].map((held) => slots.run(held.work));
    expect(started).toEqual(['a', 'b']);
    b!.finish();
    await answers[1];
    await Promise.resolve();
    expect(started).toEqual(['a', 'b', 'c']);
    a!.finish();
    c!.finish();
    d!.finish();
    expect(await Promise.all(answers)).toEqual(['a', 'b', 'c', 'd']);
    expect(started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives up a wait longer than allowed, and the work never starts', async () => {
    const slots = createConnectionSlots(1);
    const started: string[] = [];
    const holder = heldWork(started, 'holder');
    const holding = slots.run(holder.work);
    const late = heldWork(started, 'late');
    await expect(slots.run(late.work, 20)).rejects.toBeInstanceOf(SlotWaitOver);
    holder.finish();
    await holding;
    expect(started).toEqual(['holder']);
    const next = heldWork(started, 'next');
    const running = slots.run(next.work, 20);
    next.finish();
    expect(await running).toBe('next');
  });

  it('frees its slot when the work fails', async () => {
    const slots = createConnectionSlots(1);
    await expect(slots.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await slots.run(async () => 'after', 0)).toBe('after');
  });
});

// Change notifications on Redis. They arrive on a connection of their own, numbered by the
// script that saved the change, between beats that every instance publishes with the last
// number. A connection can fall silent without a word (half-open, or a Cluster subscriber that
// moved to another node by itself), so cached records are trusted only while messages keep
// arriving, and listeners are told to resync whenever some may have been missed: not
// subscribed yet, a reconnection, a silence, or a skipped number.
import type { ChangeEvent } from '../../../domain/changes.js';
import { adminKeys, CHANGES_CHANNEL, type RedisContext } from '../redis-context.js';
import type { ChangeListener, ChangeNotifications } from './contract.js';
import { BEAT } from './lua.js';

/** Every instance publishes a beat on the change channel this often. */
const BEAT_MS = 200;
/** Cached records are trusted only while some message arrived this recently (three beats missed). */
const SILENCE_MS = 600;

/** A message on the change channel: a change (numbered when a save script sent it) or a beat. */
type Announcement = (ChangeEvent | { kind: 'beat' }) & { seq?: number };

export function createRedisChanges({ redis, guarded }: RedisContext): ChangeNotifications & { close(): void } {
  const listeners: ChangeListener[] = [];
  const notify = (event: ChangeEvent | 'resync') => {
    for (const listener of listeners) listener(event);
  };
  let subscribed = false;
  /** When the last message arrived, on a monotonic clock (a wall-clock step must not extend trust). */
  let heardAt = -Infinity;
  let lastSeq: number | null = null;
  const subscriber = redis.duplicate();
  subscriber.on('error', () => {});
  subscriber.on('close', () => {
    subscribed = false;
    lastSeq = null;
    notify('resync');
  });
  subscriber.on('message', (_channel: string, message: string) => {
    try {
      receive(JSON.parse(message) as Announcement);
    } catch {
      // Not one of ours (another client published here): whatever it meant, trust nothing cached.
      notify('resync');
    }
  });
  const subscribe = () =>
    subscriber.subscribe(CHANGES_CHANNEL).then(
      () => {
        subscribed = true;
        notify('resync');
        beat();
      },
      () => {},
    );
  subscriber.on('ready', () => void subscribe());
  const beat = () => {
    if (redis.status === 'ready') {
      BEAT.run(redis, { changeCounter: adminKeys.changes, changeChannel: CHANGES_CHANNEL }).catch(() => {});
    }
  };
  const beats = setInterval(beat, BEAT_MS).unref();

  function receive({ seq, ...event }: Announcement): void {
    const now = performance.now();
    const silent = now - heardAt > SILENCE_MS;
    heardAt = now;
    if (skipped(seq, event.kind === 'beat') || silent) notify('resync');
    if (event.kind !== 'beat') notify(event);
  }

  /** True when `seq` shows a numbered change went by unheard (a beat repeats the last number). */
  function skipped(seq: number | undefined, isBeat: boolean): boolean {
    if (seq === undefined) return false;
    const expected = lastSeq === null ? seq : isBeat ? lastSeq : lastSeq + 1;
    lastSeq = seq;
    return seq !== expected;
  }

  return {
    publishChange: (event) =>
      guarded(async () => {
        await redis.publish(CHANGES_CHANNEL, JSON.stringify(event));
      }),

    onChange: (listener) => {
      listeners.push(listener);
    },

    changesLive: () => subscribed && performance.now() - heardAt <= SILENCE_MS,

    close: () => {
      subscribed = false;
      clearInterval(beats);
      subscriber.disconnect();
    },
  };
}

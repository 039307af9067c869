// The hash slot of a Redis key (the module ioredis itself uses), which ships no types.
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string | Buffer): number;
}

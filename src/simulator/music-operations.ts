// POST /v2/music/generate: the catalogue's music models. Suno always makes two songs; Mureka makes
// `murekaParams.n` (1-3, default 2) and is priced per song. A completed job's result is
// `{ tracks: [{ id, audioUrl, duration }] }`, whose ids the Suno actions take as `trackId`.
import { cdnUrl, type ModelRules, modelOperation } from './model-operation.js';
import type { Operation } from './simulator-types.js';

/** Every simulated song lasts this long, in seconds. */
const SONG_SECONDS = 120;

export const tracks = (jobId: string, count: number) => ({
  tracks: Array.from({ length: count }, (_, index) => ({
    id: `${jobId}-${index + 1}`,
    audioUrl: cdnUrl(jobId, index, 'mp3'),
    duration: SONG_SECONDS,
  })),
});

const GENERATE: Record<string, ModelRules> = {
  suno: { strings: { prompt: 5000 }, result: (jobId) => tracks(jobId, 2) },
  mureka: { strings: { prompt: 1024 }, outputs: { field: 'murekaParams.n', max: 3, absent: 2 }, result: tracks },
};

export const MUSIC_OPERATIONS: readonly Operation[] = [modelOperation('music/generate', GENERATE)];

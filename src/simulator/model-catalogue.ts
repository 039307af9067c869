// The simulated GET /v2/models: a small but realistic slice of Apiframe's public catalogue, one or
// more models for every job-submitting operation and each of the three pricing modes. Prices are
// credits; for `per-second` and `per-output` models they are per second and per output. The
// Midjourney and Suno actions have no entry, as upstream.
import type { FastifyInstance } from 'fastify';

export type Modality = 'image' | 'video' | 'music';
export type PricingMode = 'flat' | 'per-second' | 'per-output';

export interface CatalogueEntry {
  id: string;
  label: string;
  description: string;
  modality: Modality;
  /** The operation that runs it (extra fields are allowed by the spec's loose entry schema). */
  operation: string;
  pricingMode: PricingMode;
  costMin: number;
  costMax: number;
}

const entry = (
  id: string,
  label: string,
  modality: Modality,
  operation: string,
  [pricingMode, costMin, costMax]: [PricingMode, number, number],
  description: string,
): CatalogueEntry => ({ id, label, description, modality, operation, pricingMode, costMin, costMax });

export const CATALOGUE: readonly CatalogueEntry[] = [
  entry('seedream-4', 'Seedream 4', 'image', 'images/generate', ['flat', 3, 3], 'ByteDance, up to 4K'),
  entry('midjourney', 'Midjourney', 'image', 'images/generate', ['flat', 5, 5], 'A grid of 4 images'),
  entry('gpt-image-1.5', 'GPT Image 1.5', 'image', 'images/generate', ['per-output', 1, 5], 'OpenAI, 1-10 images'),
  entry('flux-lora', 'FLUX LoRA', 'image', 'images/generate', ['per-output', 2, 2], 'With a trained LoRA, 1-4 images'),
  entry('clarity-upscale', 'Clarity Upscaler', 'image', 'images/upscale', ['flat', 4, 4], 'Creative upscale'),
  entry('flux-fill-pro', 'FLUX Fill Pro', 'image', 'images/edit', ['flat', 5, 5], 'Inpaint and outpaint'),
  entry('bria-bg-remove', 'Bria RMBG 2.0', 'image', 'images/background-remove', ['flat', 1, 1], 'Alpha matting'),
  entry('kling-2.6', 'Kling 2.6', 'video', 'videos/generate', ['per-second', 7, 7], 'Kuaishou, 5 or 10 s'),
  entry('topaz-video-upscale', 'Topaz Video', 'video', 'videos/upscale', ['per-second', 2, 4], 'By input length'),
  entry('wan-2.7-videoedit', 'Wan 2.7 VideoEdit', 'video', 'videos/edit', ['per-second', 4, 6], 'Edit by instruction'),
  entry('suno', 'Suno', 'music', 'music/generate', ['flat', 6, 6], 'Two songs per call'),
  entry('mureka', 'Mureka', 'music', 'music/generate', ['per-output', 3, 3], '1-3 songs'),
];

const MODALITIES: readonly string[] = ['image', 'video', 'music'];

/** The catalogue entry of `model` when `operation` (e.g. "videos/generate") runs it. */
export function catalogueEntry(model: string, operation: string): CatalogueEntry | undefined {
  return CATALOGUE.find((candidate) => candidate.id === model && candidate.operation === operation);
}

/** GET /v2/models: public like upstream (no key), filtered by `modality`. */
export function registerCatalogueRoute(app: FastifyInstance): void {
  app.get<{ Querystring: { modality?: string } }>('/v2/models', async (request, reply) => {
    const { modality } = request.query;
    if (modality !== undefined && !MODALITIES.includes(modality)) {
      return reply.code(400).send({
        error: 'Validation failed',
        details: { modality: [`Invalid enum value. Expected 'image' | 'video' | 'music', received '${modality}'`] },
      });
    }
    return { models: CATALOGUE.filter((model) => modality === undefined || model.modality === modality) };
  });
}

// POST /v2/assets/create registers a URL with the (simulated) video provider and answers 201
// {assetId}; GET /v2/assets/{assetId} answers the provider's object verbatim.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { JsonObject, SimulatorState } from './simulator-types.js';

const ASSET_TYPES = ['image', 'video', 'audio'];

export function registerAssetRoutes(app: FastifyInstance, state: SimulatorState): void {
  app.post('/v2/assets/create', async (request, reply) => {
    const body = parsed(request.body);
    const details: Record<string, string[]> = {};
    if (!body || typeof body.url !== 'string' || !isUrl(body.url)) details.url = ['Invalid url'];
    if (!body || !ASSET_TYPES.includes(body.type as string)) details.type = ["Expected 'image' | 'video' | 'audio'"];
    if (Object.keys(details).length > 0) return reply.code(400).send({ error: 'Validation failed', details });
    const assetId = `asset_${randomBytes(8).toString('hex')}`;
    state.assets.set(assetId, {
      id: assetId,
      url: body!.url,
      type: body!.type,
      status: 'ready',
      provider: 'kie',
      createdAt: new Date().toISOString(),
    });
    return reply.code(201).send({ assetId });
  });

  app.get<{ Params: { assetId: string } }>('/v2/assets/:assetId', async (request, reply) => {
    const asset = state.assets.get(request.params.assetId);
    if (!asset) return reply.code(404).send({ error: 'Asset not found' });
    return asset;
  });
}

function parsed(body: unknown): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(String(body));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

function isUrl(text: string): boolean {
  return URL.canParse(text) && /^https?:$/.test(new URL(text).protocol);
}

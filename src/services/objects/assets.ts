// Assets through the gateway: POST /v2/assets/create (its body already checked against the spec's
// CreateAssetRequest, and its `url` refused as not found when it is another team's upload) is
// recorded as the caller's team's once Apiframe answers 201, and
// GET /v2/assets/{assetId} reads only the team's own; another team's id is not found, like an
// unknown one, and is never sent upstream.
import { errors } from '../../errors.js';
import { parseJson } from '../../domain/jobs.js';
import type { CreateAssetRequest } from '../../schemas/objects.js';
import type { Caller } from '../caller.js';
import { checkUploadUrls, urlsIn } from '../object-references.js';
import type { GatewayAnswer } from '../gateway-answer.js';
import type { Store } from '../store/store.js';
import type { UpstreamClient } from '../upstream.js';
import { upstreamRefusal } from '../upstream-errors.js';

export function createAssets({ store, upstream }: { store: Store; upstream: UpstreamClient }) {
  async function create(caller: Caller, body: CreateAssetRequest, requestId: string): Promise<GatewayAnswer> {
    await checkUploadUrls(store, caller.key.team, urlsIn(body.url));
    const call = { operation: 'create_asset', method: 'POST' as const, path: '/v2/assets/create' };
    const response = await upstream.forward({ ...call, body: JSON.stringify(body) }, requestId);
    if (response.status !== 201 && response.status !== 200) throw upstreamRefusal(response);
    const assetId = (parseJson(response.body) as { assetId?: unknown } | undefined)?.assetId;
    if (typeof assetId !== 'string' || assetId.length === 0) throw new errors.UpstreamUnavailable();
    await store.recordObject({ team: caller.key.team, kind: 'asset', id: assetId });
    return response;
  }

  async function read(caller: Caller, assetId: string, requestId: string): Promise<GatewayAnswer> {
    const [owned] = await store.ownedObjects(caller.key.team, 'asset', [assetId]);
    if (!owned) throw new errors.AssetNotFound();
    const path = `/v2/assets/${encodeURIComponent(assetId)}`;
    const response = await upstream.forward({ operation: 'get_asset', method: 'GET', path }, requestId);
    if (response.status === 404) throw new errors.AssetNotFound();
    if (response.status !== 200) throw upstreamRefusal(response);
    return response;
  }

  return { create, read };
}

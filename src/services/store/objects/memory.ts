// Object ownership in memory: the same records, charges and refunds as on Redis, moved on the
// team's ledger of the memory state.
import { overrunAlert } from '../alerts/memory.js';
import type { MemoryState, TeamLedger } from '../memory-state.js';
import type { LoraChargeRequest, LoraChargeResult, ObjectKind, ObjectOwnership } from './contract.js';

interface MemoryLora {
  keyId: string;
  model: string;
  windows: string[];
  credits: number;
  state: 'charged' | 'refunded' | 'unclear';
  pendingSince?: number;
}

export function createMemoryObjects({ ledger, alerts, announceAlerts }: MemoryState): ObjectOwnership {
  /** Each asset the teams created, by `team|kind|id`. */
  const objects = new Set<string>();
  const uploadUrls = new Map<string, { team: string; until: number }>();
  const loras = new Map<string, MemoryLora>();
  const idOf = (team: string, kind: ObjectKind, id: string) => `${team}|${kind}|${id}`;

  return {
    async recordObject({ team, kind, id }) {
      objects.add(idOf(team, kind, id));
    },

    async recordUpload({ team, url, ttlMs }) {
      uploadUrls.set(url, { team, until: Date.now() + ttlMs });
    },

    async ownedObjects(team, kind, ids) {
      return ids.map((id) => (kind === 'lora' ? loras : objects).has(idOf(team, kind, id)));
    },

    async uploadUrlOwner(url) {
      const owner = uploadUrls.get(url);
      return owner && owner.until > Date.now() ? owner.team : null;
    },

    async chargeLora(r) {
      const id = idOf(r.team, 'lora', r.loraId);
      const team = ledger(r.team);
      const { lora, ...moved } = chargeOnLedger(team, r, loras.has(id));
      if (lora) loras.set(id, lora);
      const spent = (window: string) => team.counted(`team:${window}`);
      announceAlerts(
        overrunAlert(alerts(r.team), { ...r, windows: lora?.windows ?? r.windows }, moved.overrun, spent),
        r.requestId,
      );
      return moved;
    },

    async refundLora(r) {
      const lora = loras.get(idOf(r.team, 'lora', r.loraId));
      if (!lora) return 0;
      delete lora.pendingSince;
      if (lora.state !== 'charged') return 0;
      lora.state = 'refunded';
      const { keyId, model, windows, credits } = lora;
      const refund = { keyId, model, windows, credits: -credits, charged: -credits, jobId: r.loraId, note: r.why };
      ledger(r.team).move(r, { kind: 'refund', ...refund });
      return credits;
    },

    async closeLora(team, loraId) {
      const lora = loras.get(idOf(team, 'lora', loraId));
      if (lora) delete lora.pendingSince;
    },

    async pendingLoras(team, limit) {
      const prefix = `${team}|lora|`;
      return [...loras.entries()]
        .filter(([id, lora]) => id.startsWith(prefix) && lora.pendingSince !== undefined)
        .sort(([, a], [, b]) => a.pendingSince! - b.pendingSince!)
        .map(([id]) => id.slice(prefix.length))
        .slice(0, limit);
    },
  };
}

/** CHARGE_LORA on the team's ledger: what it moved, and the LoRA charged (none when it already was). */
function chargeOnLedger(
  team: TeamLedger,
  r: LoraChargeRequest,
  known: boolean,
): LoraChargeResult & { lora?: MemoryLora } {
  const reservation = team.reservations.get(r.reservationId);
  team.reservations.delete(r.reservationId);
  const moved = { jobId: r.loraId, reservationId: r.reservationId };
  if (known) {
    if (!reservation) return { charged: false, overrun: 0, released: 0 };
    const { keyId, model, windows, credits } = reservation;
    team.move(r, { kind: 'release', keyId, model, windows, credits: -credits, note: 'duplicate LoRA', ...moved });
    return { charged: false, overrun: 0, released: credits };
  }
  const windows = reservation?.windows ?? r.windows;
  const note = r.unclear ? `unclear: ${r.unclear}` : 'ACCEPTED';
  const charge = { kind: 'settle' as const, keyId: r.keyId, model: r.model, windows, note, ...moved };
  const overrun = team.charge(r, charge, r.credits, reservation?.credits ?? 0, 'reservation lapsed');
  const lora: MemoryLora = r.unclear
    ? { keyId: r.keyId, model: r.model, windows, credits: r.credits, state: 'unclear' }
    : { keyId: r.keyId, model: r.model, windows, credits: r.credits, state: 'charged', pendingSince: r.now };
  return { charged: true, overrun, released: 0, lora };
}

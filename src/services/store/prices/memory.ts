// The catalogue kept in this process's memory (lost on restart, like the rest of the memory store).
import type { PriceCatalogueRecords, StoredCatalogue } from './contract.js';

export function createMemoryPriceCatalogue(): PriceCatalogueRecords {
  let kept: StoredCatalogue | null = null;
  return {
    async keepCatalogue(catalogue) {
      if (kept && kept.fetchedAt > catalogue.fetchedAt) return false;
      kept = { ...catalogue };
      return true;
    },
    async keptCatalogue() {
      return kept && { ...kept };
    },
  };
}

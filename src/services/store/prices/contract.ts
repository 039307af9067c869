// The last good copy of Apiframe's model catalogue, shared by every instance: whichever reads it
// keeps it, so all price by the same catalogue, and one restarting while Apiframe is unreachable
// prices by the copy kept.

export interface StoredCatalogue {
  /** The catalogue as Apiframe answered it (its JSON text), already checked against the spec. */
  body: string;
  /** When it was read (ms since the epoch). */
  fetchedAt: number;
}

export interface PriceCatalogueRecords {
  /** Keeps `catalogue` unless a copy read later is kept already; true when kept. */
  keepCatalogue(catalogue: StoredCatalogue): Promise<boolean>;
  /** The copy kept, if any. */
  keptCatalogue(): Promise<StoredCatalogue | null>;
}

// Reservations: credits taken for a submission before anything is sent upstream, held under a
// lease until the job is recorded (attached) or the reservation released.

/** A live reservation. */
export interface Reservation {
  keyId: string;
  model: string;
  credits: number;
  /** Every window the credits count in; the first, the day, is the accounting day. */
  windows: string[];
  /** When the lease runs out (ms): the reconciler then releases it. */
  leaseUntil: number;
  /** The ephemeral key it was reserved for, if any. */
  ephemeralId?: string;
}

/** A reservation whose lease ran out, as the reconciler releases it. */
export interface ExpiredReservation {
  reservationId: string;
  team: string;
  model: string;
  day: string;
}

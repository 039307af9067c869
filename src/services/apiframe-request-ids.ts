// Apiframe's own request ids (the x-request-id of its answers), kept by the gateway request whose
// upstream calls received them while that request is in flight, so that its caller can be told
// the last one (Apiframe-Request-Id) to quote to Apiframe's support. Calls made for no request in
// flight (background settlement, shared catalogue reads) are only logged.
export function createApiframeRequestIds() {
  /**
   * By the gateway's request id (its own, one per request; never a caller's, which two requests
   * may share): the last Apiframe request id its calls received, if any yet.
   */
  const inFlight = new Map<string, string | null>();
  return {
    begin(requestId: string): void {
      inFlight.set(requestId, null);
    },
    note(requestId: string, apiframeRequestId: string): void {
      if (inFlight.has(requestId)) inFlight.set(requestId, apiframeRequestId);
    },
    last(requestId: string): string | undefined {
      return inFlight.get(requestId) ?? undefined;
    },
    end(requestId: string): void {
      inFlight.delete(requestId);
    },
  };
}

export type ApiframeRequestIds = ReturnType<typeof createApiframeRequestIds>;

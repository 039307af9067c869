// Sends a caller's multipart body on to Apiframe as it arrives, checked by a MultipartGuard: the
// upstream request starts once the first file part is accepted, and a body that breaks a rule
// later, or that the caller cuts off (a disconnect, a timeout), aborts it (Apiframe never receives
// a complete body). The caller gets the broken rule, not the aborted request's failure.
import { finished, type Readable } from 'node:stream';
import { invalidInput } from '../../errors.js';
import {
  MultipartGuard,
  multipartBoundary,
  multipartContentType,
  type MultipartRules,
} from '../multipart/multipart-guard.js';
import type { UpstreamClient, UpstreamResponse } from '../upstream.js';
import { asCallerError } from '../upstream-errors.js';

export interface StreamedForm {
  /** The caller's body, unread. */
  body: Readable;
  contentType: string | undefined;
  rules: MultipartRules;
}

/** A form whose first file part was accepted, ready to be sent. */
export interface CheckedForm {
  send(upstream: UpstreamClient, operation: string, path: string, requestId: string): Promise<UpstreamResponse>;
  /** Stops reading the caller's body (when it will not be sent after all). */
  abandon(): void;
}

/** Starts reading `form` through its rules; resolves once its first file part is accepted. */
export async function checkedForm({ body, contentType, rules }: StreamedForm): Promise<CheckedForm> {
  const boundary = multipartBoundary(contentType);
  if (!boundary) throw invalidInput({ $: ['Expected a multipart/form-data body with a boundary'] });
  const guard = new MultipartGuard(boundary, rules);
  // A body cut off before its end (an error, or a close without one) settles the guard, and with it
  // `firstFile` and the upstream request reading from it.
  finished(body, (error) => {
    if (error) guard.destroy(invalidInput({ $: ['The request body was cut off before its end'] }));
  });
  // A broken rule is kept in `guard.failure` and rejects `firstFile`; the request sending it fails too.
  guard.on('error', () => undefined);
  body.pipe(guard);
  await guard.firstFile;
  return {
    async send(upstream, operation, path, requestId) {
      try {
        const call = {
          operation,
          method: 'POST' as const,
          path,
          body: guard,
          contentType: multipartContentType(boundary),
        };
        const response = await upstream.forward(call, requestId);
        if (guard.failure) throw guard.failure;
        return response;
      } catch (error) {
        throw guard.failure ?? asCallerError(error);
      }
    },
    abandon() {
      body.unpipe(guard);
      guard.destroy();
    },
  };
}

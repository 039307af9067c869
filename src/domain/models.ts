// The Apiframe models the gateway knows the parameters of: only these can be priced and enabled.

export const SUPPORTED_MODELS = ['seedream-4'] as const;
export type SupportedModel = (typeof SUPPORTED_MODELS)[number];

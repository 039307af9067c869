// Time as a dependency: services take a Clock so budget windows and leases can be tested
// without sleeping.
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

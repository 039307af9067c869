// The logging the services need, and nothing of pino's: what a service may say when something
// goes wrong that its caller does not see.
export interface Logger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

// What a job route answers: Apiframe's own status and JSON text, passed on unparsed.
export interface GatewayAnswer {
  status: number;
  /** JSON text exactly as Apiframe sent it. */
  body: string;
}

// Every Apiframe operation the gateway submits jobs to, each served as a route of its own.
import type { JobOperation } from '../job-operation.js';
import { generateImage } from './images-generate.js';

export const JOB_OPERATIONS: readonly JobOperation[] = [generateImage];

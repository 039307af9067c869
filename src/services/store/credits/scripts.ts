// Every credit script, for the store to define on its connection.
import { ATTACH } from './attach-lua.js';
import { RELEASE, RESERVE, SETTLE } from './lua.js';

export const CREDIT_SCRIPTS = [RESERVE, RELEASE, ATTACH, SETTLE];

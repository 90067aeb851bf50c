#!/usr/bin/env node
import { resolve } from 'node:path';
// Runs one TypeScript file (benchmarks, scripts) through tsx: `node bin/run-ts.js bench/run.ts`.
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bin/run-ts.js FILE.ts [args…]');
  process.exit(2);
}
const { register } = await import('tsx/esm/api');
register();
await import(pathToFileURL(resolve(file)).href);

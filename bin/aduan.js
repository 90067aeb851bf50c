#!/usr/bin/env node
// Entry point for `npx aduan …`. In a production image (NODE_ENV=production) the compiled
// JavaScript in dist/ runs; everywhere else the TypeScript sources run through tsx, so a fresh
// clone needs no build step and can never run stale output.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli.js', import.meta.url);
if (process.env.NODE_ENV === 'production' && existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', import.meta.url).href);
}

#!/usr/bin/env node
// Rewrites the README's generated tables (config keys, error codes, metrics) from the built code.
// Usage: npm run docs   (builds first)
import { readFileSync, writeFileSync } from 'node:fs';
import { renderReadme } from '../build/tools/tools/readme-tables.js';

const file = new URL('../README.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = await renderReadme(before);
writeFileSync(file, after);
console.log(before === after ? 'README tables already up to date' : 'README tables rewritten');

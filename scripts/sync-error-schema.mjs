#!/usr/bin/env node
// Writes the error catalogue's codes into schemas/error.schema.json (the enum a test checks).
// Usage: npm run build && node scripts/sync-error-schema.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { ERRORS } from '../dist/errors.js';

const file = new URL('../schemas/error.schema.json', import.meta.url);
const text = readFileSync(file, 'utf8').replace(/"enum": \[[^\]]*\]/, `"enum": ${JSON.stringify(Object.keys(ERRORS))}`);
writeFileSync(file, text);
console.log(`schemas/error.schema.json: ${Object.keys(ERRORS).length} codes`);

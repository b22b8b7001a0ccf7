// The official tus-js-client 4.x side of the shaped-link benchmark, with its default options
// (one PATCH for the whole file, retryDelays [0, 1000, 3000, 5000]), against @tus/server.
// Usage: node shaped-link-tus-js.mjs BASE_URL FILE; prints one JSON line.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../tests/interop-tus-js/package.json', import.meta.url));
const tus = require('tus-js-client');

const [baseUrl, file] = process.argv.slice(2);
if (!baseUrl || !file) {
  console.error('usage: node shaped-link-tus-js.mjs BASE_URL FILE');
  process.exit(2);
}
const data = fs.readFileSync(file);
const started = performance.now();
let failures = 0;
const outcome = await new Promise((resolve) => {
  const upload = new tus.Upload(data, {
    endpoint: `${baseUrl}/api/v1/uploads`,
    metadata: { filename: path.basename(file), filetype: 'application/octet-stream' },
    onShouldRetry(err, retryAttempt, options) {
      failures += 1;
      return tus.defaultOptions.onShouldRetry
        ? tus.defaultOptions.onShouldRetry(err, retryAttempt, options)
        : true;
    },
    onSuccess() { resolve({ ok: true }); },
    onError(err) { resolve({ ok: false, error: String(err).slice(0, 200) }); },
  });
  upload.start();
});
console.log(JSON.stringify({
  client: 'tus-js-client',
  file_bytes: data.length,
  upload_s: (performance.now() - started) / 1000,
  failed_requests: failures,
  ...outcome,
}));

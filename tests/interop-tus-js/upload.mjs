// Uploads FILE to the tus endpoint of a PAKS server with the official tus-js-client,
// aborts mid-way, then resumes from the stored upload URL.
// Usage: PAKS_TOKEN=... node upload.mjs BASE_URL FILE
// Prints one JSON line: {"url", "size", "resumedFrom"}.
import fs from 'node:fs';
import path from 'node:path';
import * as tus from 'tus-js-client';

const [baseUrl, file] = process.argv.slice(2);
const token = process.env.PAKS_TOKEN;
if (!baseUrl || !file || !token) {
  console.error('usage: PAKS_TOKEN=... node upload.mjs BASE_URL FILE');
  process.exit(2);
}
const data = fs.readFileSync(file);
const size = data.length;
const chunkSize = Math.max(64 * 1024, Math.floor(size / 8));

function options(extra) {
  return {
    endpoint: `${baseUrl}/api/v1/uploads`,
    headers: { Authorization: `Bearer ${token}` },
    metadata: { filename: path.basename(file), filetype: 'application/pdf' },
    chunkSize,
    retryDelays: [100, 250, 500, 1000, 2000],
    ...extra,
  };
}

// First attempt: abort once a few chunks are through, in the middle of a PATCH.
const firstUrl = await new Promise((resolve, reject) => {
  let upload;
  upload = new tus.Upload(data, options({
    onProgress(sent) {
      if (sent > size * 0.4 && upload.url) {
        const url = upload.url;
        upload.abort().then(() => resolve(url), reject);
      }
    },
    onSuccess() { reject(new Error('upload finished before it could be cut')); },
    onError: reject,
  }));
  upload.start();
});

// Second attempt: resume from the stored URL; tus-js-client asks the server (HEAD) where to go on.
const result = await new Promise((resolve, reject) => {
  let resumedFrom = null;
  const upload = new tus.Upload(data, options({
    uploadUrl: firstUrl,
    onChunkComplete(chunk, accepted) {
      if (resumedFrom === null) resumedFrom = accepted - chunk;
    },
    onSuccess() { resolve({ url: upload.url, size, resumedFrom }); },
    onError: reject,
  }));
  upload.start();
});

if (result.url !== firstUrl) {
  console.error(`resumed into a new upload ${result.url}, not ${firstUrl}`);
  process.exit(1);
}
console.log(JSON.stringify(result));

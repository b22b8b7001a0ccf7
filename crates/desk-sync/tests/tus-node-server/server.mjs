// The official Node tus server (@tus/server with @tus/file-store), for desk-sync's
// interoperability test. Usage: node server.mjs STORE_DIR; prints "LISTENING <port>".
import http from 'node:http';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

const directory = process.argv[2];
if (!directory) {
  console.error('usage: node server.mjs STORE_DIR');
  process.exit(2);
}
const tus = new Server({ path: '/api/v1/uploads', datastore: new FileStore({ directory }) });
const server = http.createServer((req, res) => tus.handle(req, res));
server.listen(0, '127.0.0.1', () => {
  console.log(`LISTENING ${server.address().port}`);
});

/// <reference types="vitest/config" />
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// Tauri loads `dist/` from its own protocol in the app, and `devUrl` (this server) in `tauri dev`.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    // WebKitGTK 2.40+ (Debian 12) and current WebView2/WKWebView all run ES2022.
    target: 'es2022',
    // Keep everything in files: the CSP forbids inline scripts and styles.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});

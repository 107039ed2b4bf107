// `vite build ui` (from the repo root) builds the web UI into ui/dist, which `argosy server` serves at /.
// `vite ui` serves it in development, proxying the APIs to a server on 127.0.0.1:2746.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 400,
  },
  worker: { format: 'es' },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:2746', changeOrigin: true },
    },
  },
});

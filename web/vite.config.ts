/** Builds the dashboard into dist/web, served by the Capstan server under /ui/. */
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/ui/',
  // vite's bundled esbuild compiles TSX with React's automatic runtime; no plugin needed.
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
});

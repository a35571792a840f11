import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/** The app and the GraphQL explorer, built into web/dist (served by the API server at / and /explorer). */
export default defineConfig({
  root: __dirname,
  base: '/',
  build: {
    outDir: resolve(__dirname, 'dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: { app: resolve(__dirname, 'index.html'), explorer: resolve(__dirname, 'explorer.html') },
      // GraphiQL's dependencies mark React server-component boundaries ("use client"), meaningless in a bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  esbuild: { jsx: 'automatic' },
});

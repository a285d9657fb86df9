import { defineConfig } from 'vite';

/**
 * The billing page. `npm run build:web` runs `vite build web`, so paths here are relative to
 * `web/`; the CDK web-site construct runs the same build into its asset directory. React's
 * JSX goes through Vite's own transform: the page needs no React plugin (no dev-server
 * fast refresh is wanted for a page served by the local runner).
 */
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // One small page: keep the whole app in one chunk with its vendor code.
    chunkSizeWarningLimit: 600,
  },
});

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `base: './'` so the built app works from any folder (the e2e suite serves it from a random port).
export default defineConfig({
  base: './',
  plugins: [react()],
});

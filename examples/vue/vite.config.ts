import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  // `base: './'` so the built app works from any folder (the e2e suite serves it from a random port).
  base: './',
  plugins: [
    vue({
      // Vue leaves <comet-chat> to the browser instead of looking for a Vue component of that name.
      template: { compilerOptions: { isCustomElement: (tag) => tag === 'comet-chat' } },
    }),
  ],
});

// ESLint: typescript-eslint with type information over the TypeScript, Lit and custom-element rules
// over the element, the recommended rules over the plain JavaScript. `npm run lint` fails on any warning.
import js from '@eslint/js';
import lit from 'eslint-plugin-lit';
import wc from 'eslint-plugin-wc';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/lib/',
      '**/dist/',
      'artifacts/',
      'coverage/',
      '.cache/',
      '.data/',
      'tmp/',
      'packages/comet-chat-server/demo/',
      'custom-elements.json',
      '**/vendor/',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: { 'no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_' }] },
  },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.eslint.json', './examples/*/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The stores implement an async interface with synchronous bodies: \`async\` turns their throws into rejections.
      '@typescript-eslint/require-await': 'off',
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after'] },
          ],
        },
      ],
    },
  },
  {
    // The examples' build settings (outside their tsconfig) and the Vue example (its .vue imports are
    // typed by vue-tsc alone): linted without type information.
    files: ['examples/*/vite.config.ts', 'examples/vue/src/**/*.ts'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['test/element/**/*.ts'],
    rules: {
      // @open-wc/testing types chai's equal as a promise (for its DOM diffs); plain values compare at once.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: '@open-wc/semantic-dom-diff', name: ['equal', 'Equal'] },
            { from: 'package', package: '@types/chai', name: ['equal', 'Equal'] },
          ],
        },
      ],
    },
  },
  {
    files: ['src/element/**/*.ts'],
    extends: [lit.configs['flat/recommended'], wc.configs['flat/recommended']],
  },
);

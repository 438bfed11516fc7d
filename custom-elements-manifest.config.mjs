// @custom-elements-manifest/analyzer: `cem analyze --litelement --globs "src/element/**/*.ts"` (npm run build).
// The manifest describes what the package ships, so module paths point at tsc's output in lib/.
const toLib = (path) => path.replace(/^\/?src\//, 'lib/').replace(/\.ts$/, '.js');

export default {
  globs: ['src/element/**/*.ts'],
  litelement: true,
  outdir: '.',
  // package.json already names the manifest (`customElements`); don't rewrite it on every build.
  packagejson: false,
  plugins: [
    {
      name: 'paths-to-lib',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          mod.path = toLib(mod.path);
          for (const item of [...(mod.exports ?? []), ...(mod.declarations ?? [])]) {
            if (item.declaration?.module) item.declaration.module = toLib(item.declaration.module);
            if (item.superclass?.module) item.superclass.module = toLib(item.superclass.module);
          }
        }
      },
    },
  ],
};

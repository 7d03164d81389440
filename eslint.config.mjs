// @ts-check
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

/**
 * apps/api is one core and front-ends that only translate (apps/api/README.md, Layout): the
 * core imports no front-end, no front-end imports another. Paths are relative to apps/api/src.
 */
const API_FRONT_ENDS = ['rest', 'rpc', 'transmission', 'health', 'metrics', 'web'];
const apiBoundaries = [
  {
    target: './core',
    from: '.',
    except: ['./core', './testing'],
    message: 'the core is called by the front-ends and imports none of them (nor the app wiring)',
  },
  ...API_FRONT_ENDS.map((name) => ({
    target: `./${name}`,
    from: API_FRONT_ENDS.filter((other) => other !== name).map((other) => `./${other}`),
    message: 'a front-end does not import another one: what they share belongs in the core',
  })),
  {
    // The API-key hook guards every route; a route says in its config what it needs of it.
    target: './auth',
    from: API_FRONT_ENDS.map((name) => `./${name}`),
    message: 'auth serves every front-end and imports none of them',
  },
];

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', 'reports/**', '.scratch/**', 'coverage/**'],
  },
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', '*.js', '*.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // Apps never import each other; libs never import apps; nobody deep-imports past a lib's entry.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // The end-to-end tests start the apps as child processes; they may import libs only.
            { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib'] },
          ],
        },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['apps/api/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Read TypeScript modules (no-cycle follows them); ESM TypeScript: `./x.js` is `./x.ts` on disk.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { basePath: `${import.meta.dirname}/apps/api/src`, zones: apiBoundaries },
      ],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
);

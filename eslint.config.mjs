// Lint with type information, and the walls of DESIGN.md as import rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nest = ['@nestjs/*', 'express', 'fastify', '@fastify/*'];
const deep = { group: ['@runnel/*/*'], message: 'Import libs through their public index: @runnel/<lib>.' };
const apps = { group: ['**/apps/**', 'apps/*'], message: 'libs never import apps (DESIGN.md walls).' };
const ours = ['records', 'storage', 'protocol', 'raft', 'metadata', 'coordinator'];
/** libs/<name> may import only the libs listed here (DESIGN.md, "Import rules"). */
const allowed = {
  records: [],
  storage: ['records'],
  protocol: ['records'],
  raft: ['records'],
  metadata: ['raft', 'storage', 'records'],
  coordinator: ['storage', 'records'],
};
const libWalls = Object.entries(allowed).map(([lib, may]) => ({
  files: [`libs/${lib}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      paths: nest.filter((n) => !n.includes('*')).map((name) => ({ name, message: 'libs never import NestJS/HTTP frameworks (DESIGN.md walls).' })),
      patterns: [
        { group: nest, message: 'libs never import NestJS/HTTP frameworks (DESIGN.md walls).' },
        deep,
        apps,
        ...ours.filter((o) => o !== lib && !may.includes(o)).map((o) => ({
          group: [`@runnel/${o}`], message: `libs/${lib} may import only: ${may.join(', ') || 'nothing of ours'} (DESIGN.md walls).`,
        })),
      ],
    }],
  },
}));
const doors = ['http', 'live', 'wire'].map((door) => ({
  files: [`apps/broker/src/${door}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      paths: [
        { name: 'fs', message: 'Doors never touch files: call the core (DESIGN.md walls).' },
        { name: 'node:fs', message: 'Doors never touch files: call the core (DESIGN.md walls).' },
        { name: 'fs/promises', message: 'Doors never touch files: call the core (DESIGN.md walls).' },
        { name: 'node:fs/promises', message: 'Doors never touch files: call the core (DESIGN.md walls).' },
      ],
      patterns: [
        deep,
        ...['http', 'live', 'wire'].filter((d) => d !== door).map((d) => ({ group: [`../${d}/*`, `../${d}`, `**/src/${d}/**`], message: 'Doors never talk to each other (DESIGN.md walls).' })),
      ],
    }],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/.work/**', '**/*.js', '**/*.mjs', 'libs/protocol/src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-restricted-imports': ['error', { patterns: [deep] }],
    },
  },
  ...libWalls,
  ...doors,
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-floating-promises': 'error' },
  },
);

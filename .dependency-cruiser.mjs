/** Import rules for the TypeScript sources: `npm run deps:check`. */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A module must not import itself through a chain of imports. Move the shared contract (types, constants) ' +
        "into a module both sides import, such as the action's types.ts.",
      from: { path: '^(shared|action-[a-z]+)/src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
}

/** Resolve workspace packages to their TypeScript sources, so unit tests need no build. */
const conditions = ['@xen-genid/source', 'module', 'node', 'development|production'];

export const sourceConditions = {
  resolve: { conditions },
  ssr: { resolve: { conditions } },
};

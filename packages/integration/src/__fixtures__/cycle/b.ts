export const b = (): number => 1;
export const lazy = () => import('./a.ts');

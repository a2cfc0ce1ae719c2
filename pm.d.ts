// `require('elife/pm')` for TypeScript resolvers that ignore package.json "exports" (`node10`,
// what `module: commonjs` gives): they look for the types next to pm.js. `export *` leaves the
// default export out: it is re-exported by name.
export * from './index'
export { default } from './index'

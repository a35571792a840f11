/// <reference types="vite/client" />
// React is only the GraphiQL explorer's runtime; its type packages are not worth a dependency.
declare module 'react-dom/client';
declare module 'react/jsx-runtime';

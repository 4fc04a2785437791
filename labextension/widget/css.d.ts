/** esbuild bundles CSS files as text (--loader:.css=text); the widget adds them to the page. */
declare module '*.css' {
  const text: string;
  export default text;
}

// The console's one rendering primitive: htm tagged templates bound to preact's h().
// Text children are always set as text nodes; the console never uses dangerouslySetInnerHTML.
import { h, render } from '../vendor/preact.mjs';
import htm from '../vendor/htm.mjs';

export const html = htm.bind(h);
export { render };
export { useCallback, useEffect, useMemo, useRef, useState } from '../vendor/hooks.mjs';

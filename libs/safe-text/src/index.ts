export {
  NO_NAME,
  cleanName,
  displayName,
  findBidiReordering,
  hasHiddenCharacters,
  hasRtl,
  isBidiControl,
  isBidiReordering,
  isDefaultIgnorable,
  isolate,
  revealHidden,
} from './names.js';

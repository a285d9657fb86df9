import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the repository is: the local runner serves its route table, page and handlers from it. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** Where the local stack keeps its state unless told otherwise (`--data-dir`). */
export const DEFAULT_DATA_DIR = join(REPO_ROOT, '.data');

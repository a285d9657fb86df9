import { useCallback, useEffect, useRef, useState } from 'react';

export type Loadable<T> =
  | { readonly status: 'loading' }
  | { readonly status: 'error'; readonly error: Error }
  | { readonly status: 'ready'; readonly data: T };

/**
 * Loads `load()` when the component mounts and whenever `reload()` is called; a late answer
 * from an earlier load never overwrites a newer one. Data already shown stays on screen
 * while a reload runs (`refreshing`).
 */
export const useResource = <T>(load: () => Promise<T>): { state: Loadable<T>; refreshing: boolean; reload: () => void } => {
  const [state, setState] = useState<Loadable<T>>({ status: 'loading' });
  const [refreshing, setRefreshing] = useState(false);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let current = true;
    setRefreshing(true);
    loadRef
      .current()
      .then((data) => current && setState({ status: 'ready', data }))
      .catch((error: unknown) => current && setState({ status: 'error', error: error instanceof Error ? error : new Error(String(error)) }))
      .finally(() => current && setRefreshing(false));
    return () => {
      current = false;
    };
  }, [generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { state, refreshing, reload };
};

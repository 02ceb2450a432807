/**
 * Where a native client keeps its refresh token between launches. `localStorage`,
 * React Native's AsyncStorage, Expo SecureStore wrapped in these three names, or your own.
 * Browsers using the refresh cookie need none.
 */
export interface TokenStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/** Keeps the token in memory only: it is gone when the process ends. */
export function memoryStorage(): TokenStorage {
  const map = new Map<string, string>();
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => { map.set(k, v); },
    removeItem: (k) => { map.delete(k); },
  };
}
